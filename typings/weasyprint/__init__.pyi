# WeasyPrint 70 (untyped upstream): what archive/ and portal/ use
from collections.abc import Callable, Sequence
from typing import Any, overload

from pydyf import PDF
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

class DocumentMetadata:
    title: str | None
    authors: list[str]
    description: str | None
    keywords: list[str]
    generator: str | None
    created: str | None
    modified: str | None
    lang: str | None

class Page:
    width: float
    height: float
    anchors: dict[str, tuple[float, float]]

class Document:
    pages: list[Page]
    metadata: DocumentMetadata
    def copy(self, pages: Sequence[Page] | str = "all") -> Document: ...
    @overload
    def write_pdf(
        self,
        target: None = None,
        zoom: float = 1,
        finisher: Callable[[Document, PDF], None] | None = None,
        **options: Any,
    ) -> bytes: ...
    @overload
    def write_pdf(
        self,
        target: str | Any,
        zoom: float = 1,
        finisher: Callable[[Document, PDF], None] | None = None,
        **options: Any,
    ) -> None: ...

class CSS:
    def __init__(
        self,
        guess: Any = None,
        filename: str | None = None,
        url: str | None = None,
        file_obj: Any = None,
        string: str | None = None,
        encoding: str | None = None,
        base_url: str | None = None,
        url_fetcher: URLFetcher | None = None,
        media_type: str = "print",
        font_config: FontConfiguration | None = None,
    ) -> None: ...

class HTML:
    def __init__(
        self,
        guess: Any = None,
        filename: str | None = None,
        url: str | None = None,
        file_obj: Any = None,
        string: str | None = None,
        encoding: str | None = None,
        base_url: str | None = None,
        url_fetcher: URLFetcher | None = None,
        media_type: str = "print",
    ) -> None: ...
    def render(
        self,
        font_config: FontConfiguration | None = None,
        counter_style: Any = None,
        color_profiles: Any = None,
        **options: Any,
    ) -> Document: ...
    def write_pdf(
        self,
        target: Any = None,
        zoom: float = 1,
        finisher: Callable[[Document, PDF], None] | None = None,
        **options: Any,
    ) -> bytes | None: ...

class Attachment:
    def __init__(
        self,
        guess: Any = None,
        filename: str | None = None,
        url: str | None = None,
        file_obj: Any = None,
        string: str | bytes | None = None,
        base_url: str | None = None,
        url_fetcher: URLFetcher | None = None,
        name: str | None = None,
        description: str | None = None,
        created: str | None = None,
        modified: str | None = None,
        relationship: str = "Unspecified",
    ) -> None: ...
