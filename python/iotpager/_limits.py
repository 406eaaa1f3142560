"""Counts handed to the C core, which keeps them in a long long."""

C_COUNT_MAX = 2 ** 62


def c_count(max_items):
    """MaxItems as the C core's prefetch budget: -1 for none; a budget no
    listing can reach (botocore accepts any int) means none as well."""
    if max_items is None or max_items >= C_COUNT_MAX:
        return -1
    return max_items


def c_skip(skip):
    """A StartingToken's offset for the C core (larger skips the whole page too)."""
    return min(skip, C_COUNT_MAX)
