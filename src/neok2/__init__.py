"""neok2: case-control epidemiology that rebuilds, audits and stress-tests a published study."""

from importlib.metadata import PackageNotFoundError, version

from neok2.study import SpecError, Study, available_studies, load_study

try:
    __version__ = version("neok2")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "SpecError",
    "Study",
    "__version__",
    "available_studies",
    "load_study",
]
