"""Real vision and text providers: OpenAI chat completions with structured outputs (Pydantic).

Source: DESIGN.md §6 (vision analysis and text through OpenAI structured outputs; real clients with timeouts,
retries with backoff on 429/5xx, one ``ProviderError`` with a user-safe message, token usage and timing),
seed 000 §3 Phase 3 step 1 (feature extraction from the front view with ``gpt-4o-mini``) and Phase 6 step 2-3
(tech pack prompt built from the revision number, the edit prompt and the revision's images, with GPT-4o).

How the SDK is used (openai 3.54):

* ``openai.AsyncOpenAI(api_key=..., timeout=..., max_retries=0, http_client=...)`` and
  ``await client.chat.completions.parse(model=..., messages=[...], response_format=<Pydantic model>)``.
  ``chat.completions.parse`` is the SDK's current, non-deprecated structured-output helper for Chat
  Completions: it turns the Pydantic model into ``response_format={"type": "json_schema", "json_schema":
  {"name": <class name>, "strict": true, "schema": ...}}``, and parses ``choices[0].message.content`` back into
  the model (``message.parsed``), or leaves ``message.refusal`` set when the model refuses. Chat Completions
  is used rather than the Responses API because image inputs (``image_url`` data URLs with ``detail``) and
  usage counts map one-to-one to our needs and the request is a single stateless call.
* openai 3.x talks HTTP through the ``httpx2`` package; a custom ``httpx2.AsyncClient`` (contract tests use
  one built on ``httpx2.MockTransport``) is injected with ``http_client=``. Without one, each event loop gets
  its own ``AsyncOpenAI`` (and connection pool), created on first use in that loop.
* The SDK's retries are switched off (``max_retries=0``); this module retries 408/409/429/5xx and connection
  errors itself with exponential backoff and jitter (honouring ``Retry-After``), so both real providers
  behave alike and the retry count is testable with tiny delays.

The API key is only handed to the SDK (``Authorization: Bearer``); it never appears in logs, error messages
or ``ProviderError.detail`` (error bodies that echo it are scrubbed).

The prompts (system messages and user text) are in :mod:`genpire_app.backend.providers.openai_prompts`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import weakref
from typing import Any, TypeVar

import httpx2
import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from .base import (
    VIEWS,
    Completion,
    ImageInput,
    ProductFeatures,
    PromptContext,
    ProviderError,
    ProviderRefusal,
    TechPack,
    TechPackContext,
    TokenUsage,
)
from .openai_prompts import (
    DESCRIBE_SYSTEM,
    FEATURES_SYSTEM,
    IMPROVE_SYSTEM,
    TECH_PACK_SYSTEM,
    features_prompt,
    improve_prompt_text,
    tech_pack_prompt,
)

logger = logging.getLogger(__name__)

PROVIDER = "openai"
DEFAULT_VISION_MODEL = "gpt-4o-mini"
DEFAULT_TEXT_MODEL = "gpt-4o"

#: HTTP statuses retried with backoff.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})

# User-safe messages (shown in the UI as they are).
MSG_BUSY = "The AI service is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "The AI service is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "The AI service took too long to answer. Please try again."
MSG_AUTH = "The AI service is not configured correctly. Please contact support."
MSG_BAD_REQUEST = "The AI service could not process this request."
MSG_BAD_RESPONSE = "The AI service returned an unexpected answer. Please try again."
MSG_TOO_LONG = "The AI service's answer was cut off before it was complete. Please try again."
MSG_REFUSED = "The AI service declined this request. Please rephrase it or use another image."

#: Indirection so tests can observe backoff delays without sleeping.
_sleep = asyncio.sleep

M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DesignDescription(_Strict):
    """Structured answer of ``describe_design``: a product description of an uploaded design (plain text)."""

    description: str


class ImprovedPrompt(_Strict):
    """Structured answer of ``improve_prompt``: the rewritten product description (plain text)."""

    prompt: str


def _scrub(text: str, secret: str) -> str:
    """Return ``text`` with ``secret`` replaced by ``***`` and cut to 500 characters (for ``detail``/logs)."""
    if secret:
        text = text.replace(secret, "***")
    return text[:500]


def data_url(image: ImageInput) -> str:
    """``data:<mime>;base64,<...>`` URL of an image, as OpenAI's ``image_url`` content part expects."""
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode('ascii')}"


def _retry_after_s(exc: openai.APIStatusError) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``retry-after`` header), or ``None``."""
    headers = getattr(exc.response, "headers", None)
    if headers is None:
        return None
    try:
        if headers.get("retry-after-ms") is not None:
            return float(headers["retry-after-ms"]) / 1000.0
        if headers.get("retry-after") is not None:
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None


class _OpenAIStructured:
    """Shared plumbing: client construction, one structured call with retries and error mapping.

    Args:
        api_key: OpenAI API key (``OPENAI_API_KEY``). Required; never logged.
        model: chat model name.
        timeout_s: per-attempt HTTP timeout, seconds (``PROVIDER_TIMEOUT_SECONDS``).
        max_retries: extra attempts after 408/409/429/5xx or a connection error (``PROVIDER_MAX_RETRIES``);
            timeouts are not retried (they raise a retryable ``ProviderError`` at once).
        http_client: ``httpx2.AsyncClient`` to send requests with (tests: ``httpx2.MockTransport``).
        backoff_base_s: first backoff delay, seconds; attempt ``n`` waits ``base * 2**n`` times a jitter factor
            in ``[0.5, 1.0]``, or the server's ``Retry-After`` if larger; always capped at ``backoff_max_s``.
        backoff_max_s: upper bound of a single backoff delay, seconds.
        image_detail: ``detail`` of image inputs (``"low"`` = one 512 px tile, cheapest; ``"high"``, ``"auto"``).

    Raises:
        ValueError: when ``api_key`` is empty.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        http_client: httpx2.AsyncClient | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 20.0,
        image_detail: str = "low",
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError(f"{type(self).__name__} needs an API key")
        self.model = model
        self.timeout_s = float(timeout_s)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.image_detail = image_detail
        self._secret = api_key.strip()
        self._fixed_client = self._new_client(http_client) if http_client is not None else None
        # Without an injected client, one AsyncOpenAI (and its connection pool) per event loop: pooled
        # connections must not be shared between loops (the process-wide registry may be used from several).
        self._loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    def _new_client(self, http_client: httpx2.AsyncClient | None) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self._secret,
            timeout=self.timeout_s,
            max_retries=0,  # retries are ours (see module docstring)
            http_client=http_client,
        )

    def _client(self) -> openai.AsyncOpenAI:
        """The SDK client for the running event loop (the injected one when ``http_client`` was given)."""
        if self._fixed_client is not None:
            return self._fixed_client
        loop = asyncio.get_running_loop()
        client = self._loop_clients.get(loop)
        if client is None:
            client = self._loop_clients[loop] = self._new_client(None)
        return client

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(model={self.model!r})"

    def _image_part(self, image: ImageInput) -> dict[str, Any]:
        """A chat ``image_url`` content part carrying ``image`` as a base64 data URL."""
        return {"type": "image_url", "image_url": {"url": data_url(image), "detail": self.image_detail}}

    def _backoff(self, attempt: int, hint: float | None) -> float:
        """Delay before retry number ``attempt + 1``, seconds (exponential, jittered, capped)."""
        delay = min(self.backoff_max_s, self.backoff_base_s * (2**attempt)) * random.uniform(0.5, 1.0)
        if hint is not None and hint > delay:
            delay = hint
        return max(0.0, min(delay, self.backoff_max_s))

    def _error(self, message: str, *, retryable: bool, status: int | None = None, detail: str = "") -> ProviderError:
        return ProviderError(
            message, provider=PROVIDER, retryable=retryable, status_code=status, detail=_scrub(detail, self._secret)
        )

    def _map_status_error(self, exc: openai.APIStatusError, *, attempts: int) -> ProviderError:
        """Map an HTTP error answer to a ``ProviderError`` with a user-safe message."""
        status = int(exc.status_code)
        detail = f"HTTP {status} after {attempts} attempt(s): {exc.message}"
        if status == 429:
            return self._error(MSG_BUSY, retryable=True, status=status, detail=detail)
        if status in RETRYABLE_STATUSES or status >= 500:
            return self._error(MSG_UNAVAILABLE, retryable=True, status=status, detail=detail)
        if status in (401, 403) or isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return self._error(MSG_AUTH, retryable=False, status=status, detail=detail)
        if status == 404:  # unknown model name: a configuration problem
            return self._error(MSG_AUTH, retryable=False, status=status, detail=detail)
        return self._error(MSG_BAD_REQUEST, retryable=False, status=status, detail=detail)

    async def _structured(
        self,
        *,
        operation: str,
        messages: list[dict[str, Any]],
        response_format: type[M],
        temperature: float,
        max_completion_tokens: int,
    ) -> Completion[M]:
        """One ``chat.completions.parse`` call with retries; returns the parsed model, model name and usage.

        Raises:
            ProviderRefusal: ``message.refusal`` set, or ``finish_reason == "content_filter"``.
            ProviderError: ``finish_reason == "length"``, content that is not valid JSON for the schema,
                timeouts, connection errors and HTTP errors (retryable for 429/5xx after ``max_retries``).
        """
        started = time.perf_counter()
        attempt = 0
        while True:
            try:
                completion = await self._client().chat.completions.parse(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=response_format,
                    temperature=temperature,
                    max_completion_tokens=max_completion_tokens,
                )
                break
            except openai.APITimeoutError:
                raise self._error(
                    MSG_TIMEOUT, retryable=True, detail=f"{operation}: timeout after {self.timeout_s}s"
                ) from None
            except openai.APIConnectionError as exc:
                if attempt < self.max_retries:
                    delay = self._backoff(attempt, None)
                    logger.warning("openai %s connection error, retry %d in %.3fs", operation, attempt + 1, delay)
                    attempt += 1
                    await _sleep(delay)
                    continue
                raise self._error(
                    MSG_UNAVAILABLE, retryable=True, detail=f"{operation}: {exc} after {attempt + 1} attempts"
                ) from None
            except openai.APIStatusError as exc:
                if int(exc.status_code) in RETRYABLE_STATUSES and attempt < self.max_retries:
                    delay = self._backoff(attempt, _retry_after_s(exc))
                    logger.warning(
                        "openai %s status %s, retry %d/%d in %.3fs",
                        operation,
                        exc.status_code,
                        attempt + 1,
                        self.max_retries,
                        delay,
                    )
                    attempt += 1
                    await _sleep(delay)
                    continue
                raise self._map_status_error(exc, attempts=attempt + 1) from None
            except openai.LengthFinishReasonError as exc:
                raise self._error(
                    MSG_TOO_LONG, retryable=False, detail=f"{operation}: finish_reason=length {exc}"
                ) from None
            except openai.ContentFilterFinishReasonError:
                raise ProviderRefusal(
                    MSG_REFUSED, provider=PROVIDER, detail=f"{operation}: finish_reason=content_filter"
                ) from None
            except (ValidationError, ValueError) as exc:  # content not valid JSON for the schema
                raise self._error(
                    MSG_BAD_RESPONSE, retryable=True, detail=f"{operation}: unparseable content: {exc}"
                ) from None
            except openai.OpenAIError as exc:  # anything else the SDK raises
                raise self._error(
                    MSG_BAD_RESPONSE, retryable=False, detail=f"{operation}: {type(exc).__name__}: {exc}"
                ) from None

        choice = completion.choices[0] if completion.choices else None
        if choice is None:
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"{operation}: no choices")
        message = choice.message
        if message.refusal:
            raise ProviderRefusal(
                MSG_REFUSED, provider=PROVIDER, detail=_scrub(f"{operation}: refusal: {message.refusal}", self._secret)
            )
        if message.parsed is None:
            raise self._error(
                MSG_BAD_RESPONSE,
                retryable=True,
                detail=f"{operation}: no parsed content (finish_reason={choice.finish_reason})",
            )
        usage = TokenUsage(
            input_tokens=int(completion.usage.prompt_tokens) if completion.usage else 0,
            output_tokens=int(completion.usage.completion_tokens) if completion.usage else 0,
        )
        model = completion.model or self.model
        logger.info(
            "openai %s model=%s attempts=%d duration_ms=%d input_tokens=%d output_tokens=%d",
            operation,
            model,
            attempt + 1,
            int((time.perf_counter() - started) * 1000),
            usage.input_tokens,
            usage.output_tokens,
        )
        return Completion(value=message.parsed, model=model, usage=usage)


# --------------------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------------------


class OpenAIVisionProvider(_OpenAIStructured):
    """``VisionProvider`` on OpenAI (default ``gpt-4o-mini``, seed 000 Phase 3 step 1) with structured outputs.

    Constructor arguments: see ``_OpenAIStructured`` (``api_key``, ``model``, ``timeout_s``, ``max_retries``,
    ``http_client``, ``backoff_base_s``, ``backoff_max_s``, ``image_detail``).
    """

    def __init__(self, api_key: str, *, model: str = DEFAULT_VISION_MODEL, **kwargs: Any) -> None:
        super().__init__(api_key, model=model, **kwargs)

    async def extract_features(self, image: ImageInput, *, product_prompt: str) -> Completion[ProductFeatures]:
        """Extract colors (#RRGGBB), materials, dimensions (mm) and key elements from a front view.

        Sends one user message: the instruction text and the image as a base64 data URL
        (``detail=image_detail``); the answer is parsed into ``ProductFeatures`` (strict JSON schema).

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure (see ``_OpenAIStructured._structured``).
        """
        messages = [
            {"role": "system", "content": FEATURES_SYSTEM},
            {
                "role": "user",
                "content": [{"type": "text", "text": features_prompt(product_prompt)}, self._image_part(image)],
            },
        ]
        return await self._structured(
            operation="extract_features",
            messages=messages,
            response_format=ProductFeatures,
            temperature=0.2,
            max_completion_tokens=1500,
        )

    async def describe_design(self, image: ImageInput) -> Completion[str]:
        """Describe an uploaded design as a product description (upload tab's "Improve with AI").

        Returns:
            ``Completion`` whose value is plain text (2-5 sentences).

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure.
        """
        messages = [
            {"role": "system", "content": DESCRIBE_SYSTEM},
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": (
                            "Describe the product in this design in 2 to 5 sentences: product type, shape, "
                            "colors, materials, finishes and notable details. Plain text, no markdown."
                        ),
                    },
                    self._image_part(image),
                ],
            },
        ]
        result = await self._structured(
            operation="describe_design",
            messages=messages,
            response_format=DesignDescription,
            temperature=0.4,
            max_completion_tokens=600,
        )
        return Completion(value=result.value.description.strip(), model=result.model, usage=result.usage)


class OpenAITextProvider(_OpenAIStructured):
    """``TextProvider`` on OpenAI (default ``gpt-4o``, seed 000 Phase 6 step 3) with structured outputs.

    Constructor arguments: see ``_OpenAIStructured``.
    """

    def __init__(self, api_key: str, *, model: str = DEFAULT_TEXT_MODEL, **kwargs: Any) -> None:
        super().__init__(api_key, model=model, **kwargs)

    async def improve_prompt(self, context: PromptContext) -> Completion[str]:
        """Rewrite the user's idea (and the other form fields) as a richer product description.

        Returns:
            ``Completion`` whose value is plain text.

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure.
        """
        messages = [
            {"role": "system", "content": IMPROVE_SYSTEM},
            {"role": "user", "content": improve_prompt_text(context)},
        ]
        result = await self._structured(
            operation="improve_prompt",
            messages=messages,
            response_format=ImprovedPrompt,
            temperature=0.7,
            max_completion_tokens=600,
        )
        return Completion(value=result.value.prompt.strip(), model=result.model, usage=result.usage)

    async def generate_tech_pack(self, context: TechPackContext) -> Completion[TechPack]:
        """Write the tech pack of one revision (seed 000 Phase 6).

        Sends the prompt of ``tech_pack_prompt`` and the revision's view images in display order
        (front, back, side, top, bottom — whichever are present, each preceded by a "<View> view:" label) as
        data URLs with ``detail=image_detail`` (``"low"`` by default, to limit tokens). The answer is parsed
        into ``TechPack`` (money in integer cents, measurements in millimetres).

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure.
        """
        content: list[dict[str, Any]] = [{"type": "text", "text": tech_pack_prompt(context)}]
        if "front" not in context.views:
            logger.warning("tech pack for revision %d without a front view", context.revision_number)
        ordered = [v for v in VIEWS if v in context.views] + [v for v in context.views if v not in VIEWS]
        for view in ordered:
            content.append({"type": "text", "text": f"{view.capitalize()} view (Revision #{context.revision_number}):"})
            content.append(self._image_part(context.views[view]))
        messages = [
            {"role": "system", "content": TECH_PACK_SYSTEM},
            {"role": "user", "content": content},
        ]
        return await self._structured(
            operation="generate_tech_pack",
            messages=messages,
            response_format=TechPack,
            temperature=0.3,
            max_completion_tokens=8000,
        )
