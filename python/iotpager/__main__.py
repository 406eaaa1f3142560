"""``python -m iotpager list-jobs ...`` and the ``iotpager`` console script.

Drop-in for ``aws iot list-jobs ...`` (awscli v1); see iotpager._cli.
"""

import sys

from iotpager._cli import main

if __name__ == "__main__":
    sys.exit(main())
