"""Timestamp property test: iotpager's C datetimes against botocore's parse_timestamp.

Each zone runs tests/_tzcheck.py in a subprocess with TZ set: thousands of
random epochs (ints, floats, exact half-microsecond ties, negative values,
years 1..9999 and past the edges), plus every DST change of the zone from
1940 to 2040 (+-3 h in 15-minute steps), each parsed from the same bytes by
botocore and by iotpager and compared: tzinfo type, wall time, fold,
utcoffset, tzname, or the same exception.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Dublin"]


@pytest.mark.parametrize("zone", ZONES)
def test_timestamps_match_botocore(zone):
    if not Path("/usr/share/zoneinfo", zone).exists():
        pytest.fail(f"zoneinfo for {zone} is missing (apt-get install tzdata)")
    env = dict(os.environ, TZ=zone)
    proc = subprocess.run([sys.executable, str(HERE / "_tzcheck.py"), "7"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.stdout, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["checked"] > 5000
    # the edges of datetime's range must have gone through botocore's own errors
    assert summary["botocore_raised"] >= 4
    assert summary["mismatches"] == 0, json.dumps(summary["examples"], indent=1)
    assert proc.returncode == 0


def test_new_york_fold_is_exercised():
    """The NY fall-back hour really yields fold=1 datetimes from iotpager."""
    code = (
        "import json,boto3;from dateutil.tz import tzlocal;from iotpager import _core;"
        "from iotpager._controller import Controller;"
        "c=boto3.client('iot',region_name='us-east-1',aws_access_key_id='a',"
        "aws_secret_access_key='b',endpoint_url='http://127.0.0.1:9');"
        "b=json.dumps({'jobs':[{'createdAt':1699165800},{'createdAt':1699162200}]}).encode();"
        "p=_core.parse_page(b,Controller(c),_core.TZ_LOCAL,tzlocal());"
        "print([(j['createdAt'].hour,j['createdAt'].fold) for j in p['jobs']])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, TZ="America/New_York"),
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[(1, 1), (1, 0)]", out.stderr
