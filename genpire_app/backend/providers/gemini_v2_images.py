"""Real Tech Pack V2 images: close-ups and technical sketches by Gemini ``gemini-2.5-flash-image`` (seed 001
"Gemini 2.5 Flash Image Preview: Generate 6-10 Detail Shots" and "Gemini 2.5 Flash: Generate Line Drawing";
issue 10 items 4-5; DESIGN.md §6).

:class:`GeminiV2ImageProvider` is a :class:`~.gemini.GeminiImageProvider` (same SDK client, ``httpx2``
transport, timeouts, retry loop with backoff, error mapping to one user-safe ``ProviderError``, response
parsing and PNG normalisation) with two more calls. Each sends ``POST /v1beta/models/<model>:generateContent``
with the parts:

* close-up: the prompt (``v2_images.closeup_prompt``), the line "Focus area: x from 12% to 40%, y from 30% to
  55% of the reference image.", the label "Reference image: the <view> view of the product" and the view
  inline (bytes + MIME type);
* sketch: the prompt (``v2_images.sketch_prompt``), the label "Reference image: the <view> view of the
  product to draw" and the view inline.

The generation config is the parent's (image + text output, temperature 0.1, one candidate, 1:1).
"""

from __future__ import annotations

import logging
import time

from google.genai import types as genai_types

from .base import GeneratedImage, ImageInput
from .gemini import GeminiImageProvider
from .v2_images import CloseupRequest, Region, SketchRequest

logger = logging.getLogger(__name__)


def focus_line(region: Region) -> str:
    """"Focus area: x from 12% to 40%, y from 30% to 55% of the reference image." for a region (fractions,
    clipped to 0..1, whole percentages).

    >>> focus_line((0.12, 0.3, 0.4, 0.55))
    'Focus area: x from 12% to 40%, y from 30% to 55% of the reference image.'
    """
    x0, y0, x1, y1 = (int(round(min(max(float(v), 0.0), 1.0) * 100)) for v in region)
    return f"Focus area: x from {x0}% to {x1}%, y from {y0}% to {y1}% of the reference image."


class GeminiV2ImageProvider(GeminiImageProvider):
    """:class:`~.v2_images.V2ImageProvider` backed by Gemini image generation (see the module docstring).
    Takes the arguments of :class:`~.gemini.GeminiImageProvider`."""

    def __repr__(self) -> str:  # never show the key
        return f"GeminiV2ImageProvider(model={self.model!r})"

    @staticmethod
    def _with_image(parts: list[genai_types.Part], label: str, image: ImageInput) -> list[genai_types.Part]:
        parts.append(genai_types.Part.from_text(text=label))
        parts.append(genai_types.Part.from_bytes(data=image.data, mime_type=image.mime_type))
        return parts

    def closeup_contents(self, request: CloseupRequest) -> list[genai_types.Part]:
        """The parts sent for a close-up: prompt, focus area line, labelled reference view."""
        parts = [genai_types.Part.from_text(text=request.prompt),
                 genai_types.Part.from_text(text=focus_line(request.region))]
        return self._with_image(parts, f"Reference image: the {request.view} view of the product", request.image)

    def sketch_contents(self, request: SketchRequest) -> list[genai_types.Part]:
        """The parts sent for a sketch: prompt, labelled reference view."""
        parts = [genai_types.Part.from_text(text=request.prompt)]
        return self._with_image(parts, f"Reference image: the {request.view} view of the product to draw",
                                request.image)

    async def _generate_parts(self, contents: list[genai_types.Part], what: str) -> GeneratedImage:
        started = time.perf_counter()
        response, attempts = await self._call(contents, self.build_config())
        image = await self._parse(response)
        logger.info("gemini %s model=%s attempts=%d duration_ms=%d input_tokens=%d output_tokens=%d", what,
                    image.model, attempts, int((time.perf_counter() - started) * 1000), image.usage.input_tokens,
                    image.usage.output_tokens)
        return image

    async def closeup(self, request: CloseupRequest) -> GeneratedImage:
        """A macro close-up of the detail at ``request.region`` of the view.

        Raises:
            ProviderRefusal: blocked, finished for a safety reason, or no image came back.
            ProviderError: as :meth:`~.gemini.GeminiImageProvider.generate` (429/5xx after retries, timeouts,
                4xx, undecodable answer), with a user-safe message.
        """
        return await self._generate_parts(self.closeup_contents(request), f"close-up view={request.view}")

    async def sketch(self, request: SketchRequest) -> GeneratedImage:
        """A black-on-white technical drawing of the view, without text.

        Raises:
            ProviderRefusal, ProviderError: as :meth:`closeup`.
        """
        return await self._generate_parts(self.sketch_contents(request), f"sketch view={request.view}")


__all__ = ["GeminiV2ImageProvider", "focus_line"]
