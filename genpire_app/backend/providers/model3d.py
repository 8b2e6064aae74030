"""The 3D model capability: task status, task, request and the ``ModelProvider`` Protocol.

Source: DESIGN.md §6 (one Protocol per capability; Meshy ``multi-image-to-3d`` as the real client, the offline
shape-from-silhouette reconstruction as the embedded default), §8 (the webhook payload is only a hint: the
task is re-fetched with :meth:`ModelProvider.get`), §9 (no open proxy: files are fetched only from the
provider's asset hosts) and seed 002 "Database Schema" / "Check Generation Status" (statuses, progress,
``model_urls`` per format, ``thumbnail_url``, ``texture_urls``, ``task_error``); issue 8 item 1.

No Reflex and no HTTP here: the types are shared by the Meshy client (:mod:`.meshy`), the offline provider
and the services that store tasks in ``product_3d_models``.

Units: progress in percent (0-100); timestamps in milliseconds since the Unix epoch (as Meshy sends them);
sizes in bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, Protocol, runtime_checkable

#: Task kinds, named like Meshy's endpoints: several views, or a single image.
MULTI_IMAGE: Literal["multi-image-to-3d"] = "multi-image-to-3d"
SINGLE_IMAGE: Literal["image-to-3d"] = "image-to-3d"
TaskKind = Literal["multi-image-to-3d", "image-to-3d"]
TASK_KINDS: tuple[str, ...] = (MULTI_IMAGE, SINGLE_IMAGE)

#: At most four views are sent (front, back, side, top; issue 8 item 1).
MAX_IMAGES = 4
#: Meshy's documented bounds of ``target_polycount`` and ``texture_prompt``.
MIN_POLYCOUNT, MAX_POLYCOUNT = 100, 300_000
MAX_TEXTURE_PROMPT = 600

TOPOLOGIES = frozenset({"triangle", "quad"})
SYMMETRY_MODES = frozenset({"off", "auto", "on"})

# Inline images: base64 PNG or JPEG data URIs (the formats Meshy accepts).
_DATA_URI = re.compile(r"^data:image/(png|jpeg|jpg);base64,[A-Za-z0-9+/=\s]+$")


class ModelTaskStatus(str, Enum):
    """Status of a 3D generation task (seed 002 schema; Meshy's task statuses).

    ``PENDING`` (queued) and ``IN_PROGRESS`` are live; the other four are terminal. Credits held at start are
    captured on ``SUCCEEDED`` and released on ``FAILED``, ``CANCELED`` or ``EXPIRED`` (DESIGN.md §12).
    """

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        """Whether the task will not change any more (``SUCCEEDED``, ``FAILED``, ``CANCELED``, ``EXPIRED``)."""
        return self not in (ModelTaskStatus.PENDING, ModelTaskStatus.IN_PROGRESS)


def kind_for(image_count: int) -> TaskKind:
    """The task kind for ``image_count`` input images: ``image-to-3d`` for 1, ``multi-image-to-3d`` for 2-4.

    Raises:
        ValueError: when ``image_count`` is not between 1 and 4.
    """
    if not 1 <= image_count <= MAX_IMAGES:
        raise ValueError(f"a 3D task takes 1 to {MAX_IMAGES} images, got {image_count}")
    return SINGLE_IMAGE if image_count == 1 else MULTI_IMAGE


def check_kind(kind: str) -> TaskKind:
    """Return ``kind`` if it is one of :data:`TASK_KINDS`.

    Raises:
        ValueError: for any other value.
    """
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown 3D task kind {kind!r}; expected one of {TASK_KINDS}")
    return kind  # type: ignore[return-value]


_TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if it is a plausible task id (letters, digits, ``.``, ``_``, ``-``; at most 128).

    Task ids come back from webhooks and end up in request paths, so anything else is refused.

    Raises:
        ValueError: otherwise (it would not be a single, harmless path segment).
    """
    if not isinstance(task_id, str) or not _TASK_ID.match(task_id):
        raise ValueError("malformed 3D task id")
    return task_id


def _check_image_url(url: str) -> None:
    if not isinstance(url, str) or not url:
        raise ValueError("image URL must be a non-empty string")
    if url.startswith("data:"):
        if not _DATA_URI.match(url):
            raise ValueError("inline images must be base64 PNG or JPEG data URIs")
        return
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError("image URLs must be https URLs or data URIs")


@dataclass(frozen=True)
class ModelRequest:
    """One 3D generation request: the views and Meshy's texture, PBR and remesh options.

    Attributes:
        image_urls: 1-4 images of the same object from different angles (front first), each a base64 PNG or
            JPEG data URI (``data:image/png;base64,...``) or an https URL the provider can fetch.
        ai_model: provider model id (Meshy: ``"latest"``, ``"meshy-5"``, ``"meshy-6"`` ...).
        should_texture: generate textures; ``False`` gives an untextured mesh.
        enable_pbr: also generate PBR maps (metallic, roughness, normal); only with ``should_texture``.
        texture_prompt: text guiding the texturing, at most 600 characters; only with ``should_texture``.
        should_remesh: run the remesh phase (``None``: the provider's default). ``topology`` and
            ``target_polycount`` only take effect when it runs.
        topology: ``"triangle"`` or ``"quad"`` (``None``: provider default, triangle).
        target_polycount: target polygon count, 100-300,000 (``None``: provider default, 30,000).
        symmetry_mode: ``"off"``, ``"auto"`` or ``"on"`` (``None``: provider default, auto).
        dimensions_mm: the product's real size ``(width, depth, height)`` in millimetres (its tech pack's
            Width/Depth/Height), to scale the model to; ``None`` when unknown. Meshy has no such option
            (its models come at its own scale); the offline provider scales each axis to it.

    Raises:
        ValueError: on construction, for 0 or more than 4 images, an image that is neither an https URL nor a
            PNG/JPEG data URI, an unknown topology or symmetry mode, a polycount out of range, a texture
            prompt over 600 characters, PBR / a texture prompt without texturing, or dimensions that are
            not three positive numbers.
    """

    image_urls: tuple[str, ...]
    ai_model: str = "latest"
    should_texture: bool = True
    enable_pbr: bool = False
    texture_prompt: str | None = None
    should_remesh: bool | None = None
    topology: str | None = None
    target_polycount: int | None = None
    symmetry_mode: str | None = None
    dimensions_mm: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        urls = tuple(self.image_urls)
        object.__setattr__(self, "image_urls", urls)
        kind_for(len(urls))
        for url in urls:
            _check_image_url(url)
        if not self.ai_model:
            raise ValueError("ai_model must not be empty")
        if self.topology is not None and self.topology not in TOPOLOGIES:
            raise ValueError(f"topology must be one of {sorted(TOPOLOGIES)}")
        if self.symmetry_mode is not None and self.symmetry_mode not in SYMMETRY_MODES:
            raise ValueError(f"symmetry_mode must be one of {sorted(SYMMETRY_MODES)}")
        if self.target_polycount is not None and not MIN_POLYCOUNT <= self.target_polycount <= MAX_POLYCOUNT:
            raise ValueError(f"target_polycount must be between {MIN_POLYCOUNT} and {MAX_POLYCOUNT}")
        if self.texture_prompt is not None and len(self.texture_prompt) > MAX_TEXTURE_PROMPT:
            raise ValueError(f"texture_prompt is limited to {MAX_TEXTURE_PROMPT} characters")
        if not self.should_texture and (self.enable_pbr or self.texture_prompt):
            raise ValueError("enable_pbr and texture_prompt need should_texture=True")
        if self.dimensions_mm is not None:
            dims = tuple(float(d) for d in self.dimensions_mm)
            if len(dims) != 3 or min(dims) <= 0:
                raise ValueError("dimensions_mm must be three positive millimetre values (width, depth, height)")
            object.__setattr__(self, "dimensions_mm", dims)

    @property
    def kind(self) -> TaskKind:
        """``image-to-3d`` for one image, ``multi-image-to-3d`` for 2-4."""
        return kind_for(len(self.image_urls))


@dataclass(frozen=True)
class ModelTask:
    """A 3D generation task as the provider reports it (also the shape of a Meshy webhook payload).

    Attributes:
        id: the provider's task id.
        kind: ``multi-image-to-3d`` or ``image-to-3d`` (which endpoint the task lives under).
        status: see :class:`ModelTaskStatus`.
        progress: percent, 0-100.
        model_urls: format -> URL of the model files (``glb``, ``fbx``, ``obj``, ``usdz``, ``mtl`` ...);
            provider URLs expire after days, so the files are copied into our storage (DESIGN.md §8).
        thumbnail_url: preview image URL, if any.
        texture_urls: one dict per texture set, map name -> URL (``base_color``, ``metallic``, ``normal``,
            ``roughness`` ...).
        task_error: the provider's error message when the task failed (for logs; not guaranteed user-safe).
        created_at_ms: when the task was created, ms since the epoch, if known.
        started_at_ms: when processing started, ms since the epoch, if known.
        finished_at_ms: when the task finished, ms since the epoch, if known.
    """

    id: str
    kind: TaskKind
    status: ModelTaskStatus
    progress: int = 0
    model_urls: dict[str, str] = field(default_factory=dict)
    thumbnail_url: str | None = None
    texture_urls: list[dict[str, str]] = field(default_factory=list)
    task_error: str | None = None
    created_at_ms: int | None = None
    started_at_ms: int | None = None
    finished_at_ms: int | None = None


@runtime_checkable
class ModelProvider(Protocol):
    """Turns product views into a 3D model, asynchronously (DESIGN.md §6, issue 8 item 1).

    A task is started, then finishes later; the provider reports it through our Meshy webhook route and it
    can always be re-fetched with :meth:`get`. Model files are fetched with :meth:`download`, which only
    reaches the provider's own asset hosts.
    """

    name: str

    async def start(self, request: ModelRequest, *, webhook_url: str | None = None) -> str:
        """Start a task for ``request`` (``multi-image-to-3d`` for 2-4 images, ``image-to-3d`` for 1).

        Args:
            request: the views and options.
            webhook_url: where the provider should report progress, when it takes a per-task URL (Meshy does
                not: its webhooks are registered once in its dashboard, so the Meshy client ignores this).

        Returns:
            The provider's task id.

        Raises:
            ProviderError: on any failure (configuration, out of credits, rate limit, server error).
        """
        ...

    async def get(self, task_id: str, *, kind: str) -> ModelTask:
        """The current state of task ``task_id`` of ``kind`` (``multi-image-to-3d`` or ``image-to-3d``).

        A failed task is returned (status ``FAILED`` with ``task_error``), not raised.

        Raises:
            ValueError: for an unknown ``kind`` or a malformed ``task_id``.
            ProviderError: when the task cannot be fetched (unknown task: ``status_code`` 404).
        """
        ...

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes of a model file or thumbnail at ``url``, streamed.

        Only https URLs on the provider's asset hosts (or the configured allow-list) are fetched.

        Raises:
            ProviderError: for a URL that is not allowed (nothing is requested), a file larger than
                ``max_bytes``, or a failed download.
        """
        ...
