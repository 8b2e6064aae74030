"""Real image provider: Google Gemini ``gemini-2.5-flash-image`` through the google-genai SDK (async API).

Source: DESIGN.md §6 (real clients: timeouts, retries with backoff on 429/5xx, one ``ProviderError`` with a
user-safe message, token usage and timing) and seed 000 §3 Phase 2 step 4 / Phase 3 step 4 (the prompt plus
reference image and logo sent to Gemini) and §5.2 (temperature 0.1 for consistency).

How the SDK is used:

* ``genai.Client(api_key=..., vertexai=False, http_options=HttpOptions(...))`` then
  ``client.aio.models.generate_content(model=..., contents=[Part...], config=GenerateContentConfig(...))``.
* google-genai 3.x talks HTTP through the ``httpx2`` package. A custom ``httpx2.AsyncClient`` (for example one
  built on ``httpx2.MockTransport`` in contract tests) is injected with ``HttpOptions(httpx_async_client=...)``.
* The API version is pinned to ``v1beta`` (the endpoint the Gemini image-generation docs use), so the request
  goes to ``POST /v1beta/models/<model>:generateContent`` whatever ``GOOGLE_GENAI_API_VERSION`` says.
* The SDK's own retries are left off (``HttpOptions.retry_options`` unset means one attempt); this module runs
  its own retry loop so backoff, jitter, ``RetryInfo`` hints and the final error mapping are in one place and
  the retry count is testable.

The API key is only handed to the SDK (it travels in the ``x-goog-api-key`` header); it never appears in
logs, in error messages or in ``ProviderError.detail``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import re
import time
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types
from PIL import Image

from .base import GeneratedImage, ImageInput, ImageRequest, ProviderError, ProviderRefusal, TokenUsage

logger = logging.getLogger(__name__)

PROVIDER = "gemini"
DEFAULT_MODEL = "gemini-2.5-flash-image"

#: HTTP statuses retried with backoff (rate limit, request timeout, server errors).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Finish reasons (candidate) and block reasons (prompt) that mean the model refused on policy grounds.
_SAFETY_REASONS = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "RECITATION",
        "IMAGE_RECITATION",
        "JAILBREAK",
        "MODEL_ARMOR",
    }
)

#: Image formats accepted back from the model (anything else is a provider error).
_ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")

# User-safe messages (shown in the UI as they are).
MSG_BUSY = "The image service is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "The image service is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "The image service took too long to answer. Please try again."
MSG_AUTH = "The image service is not configured correctly. Please contact support."
MSG_BAD_REQUEST = "The image service could not process this request. Try a shorter description or other images."
MSG_BAD_RESPONSE = "The image service returned an unexpected answer. Please try again."
MSG_SAFETY = (
    "The image service declined this request for safety reasons. Please rephrase the description or "
    "use other images."
)
MSG_NO_IMAGE = "The image service did not return an image for this request. Please rephrase it and try again."

#: Indirection so tests can observe backoff delays without sleeping.
_sleep = asyncio.sleep


def _scrub(text: str, secret: str) -> str:
    """Return ``text`` with ``secret`` replaced by ``***`` and cut to 500 characters (for ``detail``/logs)."""
    if secret:
        text = text.replace(secret, "***")
    return text[:500]


def _enum_name(value: Any) -> str:
    """Name of an SDK enum value (``FinishReason.SAFETY`` -> ``"SAFETY"``), ``""`` for ``None``."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _retry_delay_hint(exc: genai_errors.APIError) -> float | None:
    """Seconds the server asked us to wait: ``google.rpc.RetryInfo.retryDelay`` (``"37s"``) or ``Retry-After``.

    Returns ``None`` when the error carries no hint.
    """
    details = exc.details if isinstance(exc.details, dict) else {}
    error = details.get("error", details)
    for item in (error.get("details") or []) if isinstance(error, dict) else []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        try:
            value = headers.get("retry-after")
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None
    return None


def _is_auth_error(exc: genai_errors.APIError) -> bool:
    """Whether an API error means the key is missing, invalid or not allowed (400 API_KEY_INVALID, 401, 403)."""
    if exc.code in (401, 403):
        return True
    text = str(exc.details)
    return "API_KEY_INVALID" in text or "API key not valid" in text or "API_KEY_" in text


def _normalise_png(data: bytes) -> tuple[bytes, int, int]:
    """Decode an image returned by the model and return ``(png_bytes, width_px, height_px)``.

    PNG input is kept byte for byte (after a full decode check); JPEG and WebP are re-encoded to PNG.
    Blocking (Pillow); call it through ``asyncio.to_thread``.

    Raises:
        ValueError: when the bytes are not a PNG, JPEG or WebP image Pillow can decode.
    """
    try:
        with Image.open(io.BytesIO(data), formats=_ACCEPTED_FORMATS) as img:
            img.load()
            width, height = img.size
            if img.format == "PNG":
                return data, width, height
            if img.mode not in ("RGB", "RGBA"):
                img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=False)
            return out.getvalue(), width, height
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # Pillow's decode errors
        raise ValueError(f"undecodable image: {exc}") from exc


def region_instruction(region: tuple[float, float, float, float]) -> str:
    """The text line that limits an edit to the marked area of an annotation micro-edit.

    Args:
        region: the area as fractions of the image ``(x0, y0, x1, y1)`` (left/top origin); values are clipped
            to 0-1 and shown as whole percentages.

    Returns:
        e.g. ``"Only change the marked area: x from 12% to 40%, y from 30% to 55% of the image; keep everything
        else identical."`` for ``(0.12, 0.30, 0.40, 0.55)``.

    Source: seed 000 §5.5 (``annotationArea: annotation.bounds``).
    """
    x0, y0, x1, y1 = (min(max(float(v), 0.0), 1.0) for v in region)
    pct = [int(round(v * 100)) for v in (x0, x1, y0, y1)]
    return (
        f"Only change the marked area: x from {pct[0]}% to {pct[1]}%, y from {pct[2]}% to {pct[3]}% of the image; "
        "keep everything else identical."
    )


class GeminiImageProvider:
    """``ImageProvider`` backed by Gemini image generation (``models.generateContent``).

    Args:
        api_key: Gemini API key (``GEMINI_API_KEY``). Required; never logged.
        model: image model name, default ``gemini-2.5-flash-image`` (DESIGN.md §6).
        timeout_s: per-attempt HTTP timeout, seconds (``PROVIDER_TIMEOUT_SECONDS``).
        max_retries: extra attempts after a 429/408/5xx answer or a connection error (``PROVIDER_MAX_RETRIES``);
            ``0`` means one attempt only. Timeouts are not retried here (each one already cost ``timeout_s``);
            they raise a retryable ``ProviderError`` at once.
        http_client: an ``httpx2.AsyncClient`` to send requests with (tests pass one built on
            ``httpx2.MockTransport``); default: the SDK's own client.
        backoff_base_s: first backoff delay, seconds; attempt ``n`` waits ``base * 2**n`` (capped) times a
            random jitter factor in ``[0.5, 1.0]``, or the server's ``RetryInfo``/``Retry-After`` hint if larger.
        backoff_max_s: upper bound of any single backoff delay, seconds (server hints are capped too).
        temperature: sampling temperature, default 0.1 (seed 000 §5.2, "for consistency").
        api_version: Gemini API version in the URL, default ``v1beta``.

    Raises:
        ValueError: when ``api_key`` is empty.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_MODEL,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        http_client: httpx2.AsyncClient | None = None,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        temperature: float = 0.1,
        api_version: str = "v1beta",
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("GeminiImageProvider needs an API key")
        self.model = model
        self.timeout_s = float(timeout_s)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.temperature = float(temperature)
        self._secret = api_key.strip()
        http_options = genai_types.HttpOptions(
            api_version=api_version,
            timeout=max(1, int(self.timeout_s * 1000)),  # the SDK takes milliseconds
            httpx_async_client=http_client,
        )
        self._client = genai.Client(api_key=self._secret, vertexai=False, http_options=http_options)

    def __repr__(self) -> str:  # never show the key
        return f"GeminiImageProvider(model={self.model!r})"

    # ---------------------------------------------------------------------------------------------- request

    def build_contents(self, request: ImageRequest) -> list[genai_types.Part]:
        """The ``contents`` parts sent for ``request``, in order.

        1. ``request.prompt`` (text);
        2. for an annotation micro-edit (``request.region`` set), the line "Only change the marked area: x from
           12% to 40%, y from 30% to 55% of the image; keep everything else identical." (see
           :func:`region_instruction`);
        3. the current image of the view being edited (``request.base_image``), labelled "The current image
           of this view: edit it";
        4. the annotated view (``request.annotation``), labelled "The same view with the user's marks (red
           shapes and notes) showing where to change";
        5. each image attached to the chat message (``request.attachments``), labelled "Reference image
           attached by the user" (with "(n of N)" when there are several);
        6. each reference image, preceded by a short text label (the first one is "the approved front view"
           for back/side/top/bottom, "the previous front view" when iterating on the front view);
        7. the uploaded design, labelled;
        8. the logo, labelled "Logo to place on the product".

        Each image is preceded by its label. Images are sent inline (bytes + MIME type; the SDK
        base64-encodes them). Source: seed 000 Phase 2 step 4 (``referenceImage``, ``logoImage``), Phase 3
        step 4, §5.3 (chat attachments), §5.4 (AI image edit of the current view) and §5.5 (annotation
        screenshot + ``annotationArea``).
        """
        parts: list[genai_types.Part] = [genai_types.Part.from_text(text=request.prompt)]

        def add_image(label: str, image: ImageInput) -> None:
            parts.append(genai_types.Part.from_text(text=label))
            parts.append(genai_types.Part.from_bytes(data=image.data, mime_type=image.mime_type))

        if request.region is not None:
            parts.append(genai_types.Part.from_text(text=region_instruction(request.region)))
        if request.base_image is not None:
            add_image("The current image of this view: edit it", request.base_image)
        if request.annotation is not None:
            add_image(
                "The same view with the user's marks (red shapes and notes) showing where to change",
                request.annotation,
            )
        count = len(request.attachments)
        for index, attachment in enumerate(request.attachments):
            label = "Reference image attached by the user"
            if count > 1:
                label += f" ({index + 1} of {count})"
            add_image(label, attachment)

        for index, ref in enumerate(request.references):
            if index == 0:
                if request.view == "front":
                    label = "Reference image: the previous front view (keep the product, apply the requested changes)"
                else:
                    label = "Reference image: the approved front view"
            else:
                label = f"Reference image {index + 1}: keep the product consistent with it"
            add_image(label, ref)
        if request.design is not None:
            add_image("Design uploaded by the user: base the product on it", request.design)
        if request.logo is not None:
            add_image("Logo to place on the product", request.logo)
        return parts

    def build_config(self) -> genai_types.GenerateContentConfig:
        """Generation config: image (+ text) output, temperature 0.1, square 1:1 images (seed 000 §5.2)."""
        return genai_types.GenerateContentConfig(
            response_modalities=["IMAGE", "TEXT"],
            temperature=self.temperature,
            candidate_count=1,
            image_config=genai_types.ImageConfig(aspect_ratio="1:1"),
        )

    # ---------------------------------------------------------------------------------------------- public

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        """Generate (or edit) one product view.

        Args:
            request: the prompt and images (see ``ImageRequest``).

        Returns:
            ``GeneratedImage`` with PNG bytes, width/height in pixels, the model version that answered, the
            model's text parts as ``notes`` and token usage (``promptTokenCount`` / ``candidatesTokenCount``).

        Raises:
            ProviderRefusal: the prompt was blocked, the candidate finished for a safety/policy reason, or no
                image came back.
            ProviderError: ``retryable=True`` after 429/5xx beyond ``max_retries``, on timeouts and connection
                errors, or on an undecodable answer; ``retryable=False`` on 400/401/403 and other 4xx.
        """
        contents = self.build_contents(request)
        config = self.build_config()
        started = time.perf_counter()
        response, attempts = await self._call(contents, config)
        image = await self._parse(response)
        logger.info(
            "gemini image generated view=%s model=%s attempts=%d duration_ms=%d input_tokens=%d output_tokens=%d",
            request.view,
            image.model,
            attempts,
            int((time.perf_counter() - started) * 1000),
            image.usage.input_tokens,
            image.usage.output_tokens,
        )
        return image

    # ---------------------------------------------------------------------------------------------- internals

    def _backoff(self, attempt: int, hint: float | None) -> float:
        """Delay before retry number ``attempt + 1``, seconds (exponential, jittered, capped)."""
        delay = min(self.backoff_max_s, self.backoff_base_s * (2**attempt)) * random.uniform(0.5, 1.0)
        if hint is not None and hint > delay:
            delay = hint
        return max(0.0, min(delay, self.backoff_max_s))

    async def _call(
        self, contents: list[genai_types.Part], config: genai_types.GenerateContentConfig
    ) -> tuple[genai_types.GenerateContentResponse, int]:
        """Call ``generateContent`` with retries; return ``(response, attempts_made)``."""
        attempt = 0
        while True:
            try:
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=contents, config=config
                )
                return response, attempt + 1
            except genai_errors.APIError as exc:
                status = int(exc.code or 0)
                if status in RETRYABLE_STATUSES and attempt < self.max_retries:
                    delay = self._backoff(attempt, _retry_delay_hint(exc))
                    logger.warning(
                        "gemini status %s, retry %d/%d in %.3fs", status, attempt + 1, self.max_retries, delay
                    )
                    attempt += 1
                    await _sleep(delay)
                    continue
                raise self._map_api_error(exc, attempts=attempt + 1) from None
            except httpx2.TimeoutException as exc:
                raise ProviderError(
                    MSG_TIMEOUT,
                    provider=PROVIDER,
                    retryable=True,
                    detail=_scrub(f"timeout after {self.timeout_s}s: {type(exc).__name__}", self._secret),
                ) from None
            except httpx2.TransportError as exc:  # connection refused/reset, DNS ...
                if attempt < self.max_retries:
                    delay = self._backoff(attempt, None)
                    logger.warning(
                        "gemini connection error %s, retry %d in %.3fs", type(exc).__name__, attempt + 1, delay
                    )
                    attempt += 1
                    await _sleep(delay)
                    continue
                raise ProviderError(
                    MSG_UNAVAILABLE,
                    provider=PROVIDER,
                    retryable=True,
                    detail=_scrub(f"{type(exc).__name__}: {exc} after {attempt + 1} attempts", self._secret),
                ) from None
            except ValueError as exc:  # 200 with a body that is not JSON / not a GenerateContentResponse
                raise ProviderError(
                    MSG_BAD_RESPONSE,
                    provider=PROVIDER,
                    retryable=True,
                    detail=_scrub(f"unparseable response: {type(exc).__name__}: {exc}", self._secret),
                ) from None

    def _map_api_error(self, exc: genai_errors.APIError, *, attempts: int) -> ProviderError:
        """Map an SDK ``APIError`` to a ``ProviderError`` with a user-safe message."""
        status = int(exc.code or 0)
        detail = _scrub(
            f"HTTP {status} {exc.status or ''} after {attempts} attempt(s): {exc.message or ''}", self._secret
        )
        if status == 429:
            return ProviderError(MSG_BUSY, provider=PROVIDER, retryable=True, status_code=status, detail=detail)
        if status in RETRYABLE_STATUSES or status >= 500:
            return ProviderError(MSG_UNAVAILABLE, provider=PROVIDER, retryable=True, status_code=status, detail=detail)
        if _is_auth_error(exc):
            return ProviderError(MSG_AUTH, provider=PROVIDER, retryable=False, status_code=status, detail=detail)
        return ProviderError(MSG_BAD_REQUEST, provider=PROVIDER, retryable=False, status_code=status, detail=detail)

    async def _parse(self, response: genai_types.GenerateContentResponse) -> GeneratedImage:
        """Turn a ``GenerateContentResponse`` into a ``GeneratedImage`` (PNG) or raise a refusal/error."""
        feedback = response.prompt_feedback
        block_reason = _enum_name(feedback.block_reason if feedback else None)
        if block_reason:
            raise ProviderRefusal(MSG_SAFETY, provider=PROVIDER, detail=f"prompt blocked: {block_reason}")

        candidates = response.candidates or []
        if not candidates:
            raise ProviderRefusal(MSG_NO_IMAGE, provider=PROVIDER, detail="no candidates in response")
        candidate = candidates[0]
        finish_reason = _enum_name(candidate.finish_reason)
        if finish_reason in _SAFETY_REASONS:
            raise ProviderRefusal(MSG_SAFETY, provider=PROVIDER, detail=f"finish_reason={finish_reason}")

        parts = (candidate.content.parts if candidate.content else None) or []
        notes = tuple(p.text.strip() for p in parts if p.text and p.text.strip() and not p.thought)
        image_part = next(
            (
                p
                for p in parts
                if p.inline_data is not None
                and p.inline_data.data
                and (p.inline_data.mime_type or "").startswith("image/")
                and not p.thought
            ),
            None,
        )
        if image_part is None:
            raise ProviderRefusal(
                MSG_NO_IMAGE,
                provider=PROVIDER,
                detail=_scrub(f"no image part; finish_reason={finish_reason}; text={' | '.join(notes)}", self._secret),
            )

        try:
            png, width, height = await asyncio.to_thread(_normalise_png, image_part.inline_data.data)
        except ValueError as exc:
            raise ProviderError(MSG_BAD_RESPONSE, provider=PROVIDER, retryable=True, detail=str(exc)[:500]) from None

        usage_md = response.usage_metadata
        usage = TokenUsage(
            input_tokens=int((usage_md.prompt_token_count if usage_md else 0) or 0),
            output_tokens=int((usage_md.candidates_token_count if usage_md else 0) or 0),
        )
        return GeneratedImage(
            data=png,
            width=width,
            height=height,
            model=response.model_version or self.model,
            mime_type="image/png",
            notes=notes,
            usage=usage,
        )
