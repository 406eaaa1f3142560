"""The example notebook runs in a real Jupyter kernel (nbclient + ipykernel),
and "interrupt kernel" stops a listing promptly."""

import queue
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def text_of(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
            parts.append(out["data"].get("text/html", ""))
    return "".join(parts)


def test_example_notebook_runs_and_shows_the_jobs():
    nb = nbformat.read(ROOT / "examples" / "list_jobs.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert "3000 jobs in 12 pages" in text_of(code[1])
    # the progress bar is a widget in a notebook (tqdm.auto)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in code[1].get("outputs", []))
    table = text_of(code[2])
    assert "jobId" in table and "<table" in table          # a DataFrame, rendered
    assert "IN_PROGRESS" in table and "SCHEDULED" in table
    assert "same jobs as boto3: True" in text_of(code[3])
    assert "every signature verified: True" in text_of(code[3])


def test_interrupt_kernel_stops_a_listing_promptly():
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        setup = (
            "import boto3, iotpager\n"
            "from iotpager.testing import ListJobsServer\n"
            "srv = ListJobsServer(n_jobs=100).start()\n"
            "srv.script({'stall': 60})\n"
            "client = boto3.client('iot', region_name='us-east-1', endpoint_url=srv.endpoint_url,"
            " aws_access_key_id='a', aws_secret_access_key='b')\n")
        reply = kc.execute_interactive(setup, timeout=60)
        assert reply["content"]["status"] == "ok", reply
        # stop_on_error=False: ipykernel 7 aborts the requests that arrive
        # just after a cell that failed with stop_on_error (the follow-up
        # cell below would come back 'aborted'); the interrupt is the point
        msg_id = kc.execute("list(iotpager.get_paginator(client).paginate())",
                            stop_on_error=False)
        time.sleep(1.0)   # the request is now waiting on the stalled server
        t0 = time.monotonic()
        km.interrupt_kernel()
        deadline = t0 + 30
        while True:
            try:
                msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("the kernel did not answer after the interrupt")
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        elapsed = time.monotonic() - t0
        assert msg["content"]["status"] == "error"
        assert msg["content"]["ename"] == "KeyboardInterrupt"
        assert elapsed < 2.0, elapsed   # the C core checks for signals every 50 ms
        reply = kc.execute_interactive("srv.stop(); print('ok')", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
