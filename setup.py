"""Build script for iotpager's C extension, ``iotpager._core``.

System libraries (libcurl, OpenSSL's libcrypto, simdjson) are found through
pkg-config; nothing is vendored.

Environment switches (build switches, not build forks):

* ``IOTPAGER_DEBUG=1``     -O0 -g3, asserts on.
* ``IOTPAGER_SANITIZE=1``  ASan + UBSan (run with LD_PRELOAD of libasan, see
                           docs/internals.md).
* ``IOTPAGER_SANITIZE=thread``  ThreadSanitizer instead (LD_PRELOAD of libtsan;
                           tests/tsan.sh runs the threaded tests under it).
* ``IOTPAGER_COVERAGE=1``  gcov instrumentation.
* ``IOTPAGER_WERROR=1``    -Werror (CI sets it).
"""

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PKG_MODULES = ["libcurl", "libcrypto", "simdjson"]


def _flag(name):
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def pkg_config(*args):
    try:
        out = subprocess.check_output(["pkg-config", *args, *PKG_MODULES], text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            "iotpager: pkg-config could not find %s (%s). On Debian: apt-get install "
            "pkg-config libcurl4-openssl-dev libssl-dev libsimdjson-dev" % (", ".join(PKG_MODULES), exc)
        )
    return shlex.split(out)


C_SOURCES = [
    "csrc/module.c",
    "csrc/pager.c",
    "csrc/builder.c",
    "csrc/plan.c",
    "csrc/timeconv.c",
    "csrc/errors.c",
    "csrc/http.c",
    "csrc/sigv4.c",
    "csrc/uri.c",
    "csrc/buf.c",
    "csrc/jsonout.c",
]
CXX_SOURCES = ["csrc/json_shim.cpp"]

common = ["-Wall", "-Wextra", "-fvisibility=hidden"]
link = []
if _flag("IOTPAGER_DEBUG") or _flag("IOTPAGER_SANITIZE"):
    common += ["-O0", "-g3", "-UNDEBUG", "-fno-omit-frame-pointer"]
else:
    common += ["-O2"]
if os.environ.get("IOTPAGER_SANITIZE") == "thread":
    san = ["-fsanitize=thread"]
    common += san
    link += san
elif _flag("IOTPAGER_SANITIZE"):
    san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
    common += san
    link += san
if _flag("IOTPAGER_COVERAGE"):
    common += ["--coverage", "-O0"]
    link += ["--coverage"]
if _flag("IOTPAGER_WERROR"):
    common += ["-Werror"]

C_ONLY = ["-std=c11", "-D_GNU_SOURCE"]
CXX_ONLY = ["-std=c++17", "-fno-exceptions", "-fno-rtti"]


class BuildExt(build_ext):
    """Compile C and C++ sources with their own -std flags."""

    def build_extensions(self):
        compiler = self.compiler
        original = compiler._compile

        def _compile(obj, src, ext, cc_args, extra_postargs, pp_opts):
            extra = list(extra_postargs)
            extra += CXX_ONLY if src.endswith(".cpp") else C_ONLY
            return original(obj, src, ext, cc_args, extra, pp_opts)

        compiler._compile = _compile
        # Python's own CFLAGS carry -O3 and -DNDEBUG; ours come after and win.
        super().build_extensions()


cflags = pkg_config("--cflags")
libs = pkg_config("--libs")

ext = Extension(
    "iotpager._core",
    sources=C_SOURCES + CXX_SOURCES,
    include_dirs=["csrc"],
    # A header change rebuilds the extension (build_ext otherwise compares
    # only the sources with the built module), and the sdist carries them.
    depends=sorted(glob.glob("csrc/*.h")),
    extra_compile_args=cflags + common,
    extra_link_args=libs + link + ["-lstdc++"],
)

setup(ext_modules=[ext], cmdclass={"build_ext": BuildExt})
