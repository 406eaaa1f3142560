"""progress=True: a live count of pages and jobs while a listing runs.

tqdm.auto when tqdm is installed (a widget in notebooks, a bar in
terminals), otherwise one stderr line rewritten in place. Updated once per
page, never per job.
"""

from __future__ import annotations

import sys
from typing import Any, Optional


class Progress:
    def __init__(self, desc: str = "ListJobs"):
        self._desc = desc
        self._bar: Optional[Any] = None
        self._line = False
        self._closed = False
        self._jobs = 0
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._line = True
        else:
            self._bar = tqdm(desc=desc, unit=" jobs", dynamic_ncols=True)

    def update(self, pages: int, jobs: int) -> None:
        if self._closed:
            return
        if self._bar is not None:
            self._bar.update(jobs - self._jobs)
            self._bar.set_postfix(pages=pages, refresh=False)
        elif self._line:
            sys.stderr.write(f"\r{self._desc}: {pages} pages, {jobs} jobs")
            sys.stderr.flush()
        self._jobs = jobs

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self._line:
            sys.stderr.write("\n")
            sys.stderr.flush()
