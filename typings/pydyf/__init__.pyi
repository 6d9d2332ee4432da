# pydyf 0.13: the parts a WeasyPrint finisher touches (archive/xmp.py)
from typing import Any

class Dictionary(dict[str, Any]): ...

class String:
    string: str

class Stream:
    stream: list[Any]
    extra: Dictionary

class PDF:
    objects: list[Any]
    catalog: Dictionary
    info: Dictionary
