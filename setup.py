"""Optional native helper of the subinterpreter tier (runtime/_native/_subinterp.c).

Everything else is configured in pyproject.toml. The extension is optional: when it
cannot be compiled (no compiler or headers), the install still succeeds and the tier
falls back to its pure-Python driver (see runtime/backends/subinterp.py).
"""

from __future__ import annotations

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """build_ext that reports a failed build and carries on."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler at all
            self._report(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._report(exc)

    @staticmethod
    def _report(exc: Exception) -> None:
        sys.stderr.write(f"warning: the native subinterpreter helper was not built ({exc}); "
                         "the subinterpreter tier will use its pure-Python driver\n")


setup(
    ext_modules=[Extension("runtime._native._subinterp", ["runtime/_native/_subinterp.c"],
                           extra_compile_args=["-O2", "-std=gnu11"], optional=True)]
    if sys.platform.startswith("linux") else [],
    cmdclass={"build_ext": OptionalBuildExt},
)
