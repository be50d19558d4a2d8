"""SimpleITK as one typed-as-``Any`` handle (the package ships no type information)."""

from __future__ import annotations

from typing import Any

import SimpleITK as _SimpleITK

__all__ = ["sitk"]

sitk: Any = _SimpleITK
