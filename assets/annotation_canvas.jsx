/**
 * AnnotationCanvas: draw circles, arrows and text notes over a product image.
 *
 * Self-contained (React only). Wrapped for Reflex by
 * genpire_app/components/annotation.py (library "$/public/annotation_canvas.jsx").
 *
 * Props
 *   src          image URL (same-origin, data: or blob:; cross-origin only with CORS)
 *   tool         "circle" | "arrow" | "text"            (default "circle")
 *   color        CSS color of new marks                  (default "#e5484d")
 *   noteText     text placed by the text tool
 *   clearSignal  number; every change removes all marks
 *   undoSignal   number; every change removes the last mark (n steps if it grew by n)
 *   submitSignal number; every change uploads the image with the marks (PNG, natural size)
 *   uploadUrl    where the PNG is POSTed (same origin)
 *   uploadToken  sent as the X-Upload-Token header
 *   onChange     called after every change with {region: [x0, y0, x1, y1] | null, count}
 *                region: bounding box of all marks as fractions (0..1) of the image
 *   onUploaded   called after each upload with {key, region, count, error}
 *                key: the server's storage key of the PNG ("" on error)
 *
 * Marks are stored in image fractions and drawn in natural-pixel space, so the
 * on-screen overlay (scaled to the displayed size) and the export are identical.
 * Keyboard: focus the canvas, arrow keys move a cursor (Shift = bigger steps),
 * Enter/Space sets the start and end points (or places a note), Escape cancels,
 * Ctrl/Cmd+Z, Backspace or Delete removes the last mark.
 */
import React, { useCallback, useEffect, useId, useRef, useState } from "react";

const TOOLS = ["circle", "arrow", "text"];
const TOOL_NAMES = { circle: "Circle", arrow: "Arrow", text: "Note" };
const DEFAULT_COLOR = "#e5484d";
const FONT_STACK =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const HALO = "rgba(255, 255, 255, 0.92)";
// Smallest drag (in displayed CSS pixels) that makes a mark.
const MIN_DRAG_PX = 6;

const SR_ONLY = {
  position: "absolute",
  width: "1px",
  height: "1px",
  padding: 0,
  margin: "-1px",
  overflow: "hidden",
  clip: "rect(0, 0, 0, 0)",
  whiteSpace: "nowrap",
  border: 0,
};

const CSS = `
.rx-annot-surface{position:relative;display:block;width:100%;line-height:0;border-radius:8px;overflow:hidden;outline:none;-webkit-user-select:none;user-select:none;-webkit-tap-highlight-color:transparent}
.rx-annot-surface:focus-visible{box-shadow:0 0 0 2px #fff,0 0 0 4px #3e63dd}
.rx-annot-surface img{display:block;width:100%;height:auto;pointer-events:none;-webkit-user-drag:none}
.rx-annot-surface canvas{position:absolute;inset:0;width:100%;height:100%;touch-action:none}
.rx-annot-status{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;font:500 14px/1.4 ${FONT_STACK};color:#60646c;background:#f0f0f3}
`;

const clamp = (v, lo, hi) => (v < lo ? lo : v > hi ? hi : v);
const plural = (n) => `${n} mark${n === 1 ? "" : "s"}`;

/** Stroke sizes in natural pixels, proportional to the image. */
function metricsFor(W, H) {
  const m = Math.min(W, H);
  const lw = Math.max(2, m / 130);
  return { lw, halo: Math.max(1, lw * 0.55), font: Math.max(12, Math.round(m / 24)) };
}

/** Is the URL on this page's origin (or a data:/blob: URL that never taints)? */
function needsCors(src) {
  if (typeof window === "undefined" || !src) return false;
  try {
    const url = new URL(src, window.location.href);
    if (url.protocol === "data:" || url.protocol === "blob:") return false;
    return url.origin !== window.location.origin;
  } catch (err) {
    return false;
  }
}

let measureCtx = null;
function getMeasureCtx() {
  if (!measureCtx && typeof document !== "undefined") {
    measureCtx = document.createElement("canvas").getContext("2d");
  }
  return measureCtx;
}

/** Black or white text, whichever reads better on `color`. */
function textColorOn(color) {
  const ctx = getMeasureCtx();
  if (!ctx) return "#fff";
  ctx.fillStyle = "#000";
  ctx.fillStyle = color;
  const v = String(ctx.fillStyle);
  let r = 0, g = 0, b = 0;
  if (v[0] === "#" && v.length === 7) {
    r = parseInt(v.slice(1, 3), 16);
    g = parseInt(v.slice(3, 5), 16);
    b = parseInt(v.slice(5, 7), 16);
  } else {
    const m = v.match(/[\d.]+/g);
    if (m) [r, g, b] = m.map(Number);
  }
  const lin = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  const L = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return L > 0.4 ? "#111113" : "#ffffff";
}

/** Greedy word wrap; long words are broken; at most maxLines (last one ellipsized). */
function wrapText(ctx, text, maxW, maxLines) {
  const lines = [];
  for (const para of String(text).split(/\r?\n/)) {
    let line = "";
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (ctx.measureText(candidate).width <= maxW) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = "";
      let rest = word;
      while (ctx.measureText(rest).width > maxW && rest.length > 1) {
        let cut = rest.length - 1;
        while (cut > 1 && ctx.measureText(rest.slice(0, cut)).width > maxW) cut--;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    if (line) lines.push(line);
  }
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    let last = kept[maxLines - 1];
    while (last.length > 1 && ctx.measureText(`${last}…`).width > maxW) last = last.slice(0, -1);
    kept[maxLines - 1] = `${last}…`;
    return kept;
  }
  return lines.length ? lines : [""];
}

/** Geometry of a note (pin + label box) in natural pixels. */
function layoutNote(mark, W, H, M) {
  const ctx = getMeasureCtx();
  const fs = M.font;
  const font = `600 ${fs}px ${FONT_STACK}`;
  ctx.font = font;
  const padX = fs * 0.6;
  const padY = fs * 0.38;
  const lineH = fs * 1.25;
  const maxTextW = Math.max(fs * 6, W * 0.45 - 2 * padX);
  const lines = wrapText(ctx, mark.text, maxTextW, 4);
  const tw = Math.max(...lines.map((l) => ctx.measureText(l).width));
  const w = Math.min(W, tw + 2 * padX);
  const h = Math.min(H, lines.length * lineH + 2 * padY);
  const px = mark.x * W;
  const py = mark.y * H;
  const r = M.lw * 1.5;
  const gap = M.lw * 1.5;
  let x = px + r + gap;
  if (x + w > W) x = px - r - gap - w;
  x = Math.max(0, Math.min(x, W - w));
  const y = Math.max(0, Math.min(py - h / 2, H - h));
  return { font, lines, x, y, w, h, px, py, r, padX, padY, lineH, radius: fs * 0.4 };
}

function roundRectPath(ctx, x, y, w, h, r) {
  r = Math.min(r, w / 2, h / 2);
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** Arrow geometry in natural pixels: shaft end and the 3 head points. */
function arrowGeometry(mark, W, H, M) {
  const tx = mark.x0 * W, ty = mark.y0 * H, hx = mark.x1 * W, hy = mark.y1 * H;
  const len = Math.hypot(hx - tx, hy - ty) || 1;
  const ux = (hx - tx) / len, uy = (hy - ty) / len;
  const headLen = Math.min(M.lw * 5, len * 0.6);
  const headHalf = headLen * 0.55;
  const bx = hx - ux * headLen, by = hy - uy * headLen;
  return {
    tx, ty, hx, hy,
    sx: hx - ux * headLen * 0.8, sy: hy - uy * headLen * 0.8,
    left: [bx - uy * headHalf, by + ux * headHalf],
    right: [bx + uy * headHalf, by - ux * headHalf],
  };
}

function circleGeometry(mark, W, H) {
  const x0 = Math.min(mark.x0, mark.x1) * W, x1 = Math.max(mark.x0, mark.x1) * W;
  const y0 = Math.min(mark.y0, mark.y1) * H, y1 = Math.max(mark.y0, mark.y1) * H;
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, rx: (x1 - x0) / 2, ry: (y1 - y0) / 2 };
}

/** Paint one mark in natural-pixel coordinates (the caller sets any scaling). */
function drawMark(ctx, mark, W, H, M) {
  ctx.save();
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  const strokeTwice = (pathFn) => {
    pathFn();
    ctx.strokeStyle = HALO;
    ctx.lineWidth = M.lw + 2 * M.halo;
    ctx.stroke();
    ctx.strokeStyle = mark.color;
    ctx.lineWidth = M.lw;
    ctx.stroke();
  };
  if (mark.type === "circle") {
    const g = circleGeometry(mark, W, H);
    strokeTwice(() => {
      ctx.beginPath();
      ctx.ellipse(g.cx, g.cy, Math.max(g.rx, 0.5), Math.max(g.ry, 0.5), 0, 0, Math.PI * 2);
    });
  } else if (mark.type === "arrow") {
    const g = arrowGeometry(mark, W, H, M);
    const head = () => {
      ctx.beginPath();
      ctx.moveTo(g.hx, g.hy);
      ctx.lineTo(g.left[0], g.left[1]);
      ctx.lineTo(g.right[0], g.right[1]);
      ctx.closePath();
    };
    // Halo under shaft and head, then the colored shaft and head.
    ctx.strokeStyle = HALO;
    ctx.lineWidth = M.lw + 2 * M.halo;
    ctx.beginPath();
    ctx.moveTo(g.tx, g.ty);
    ctx.lineTo(g.sx, g.sy);
    ctx.stroke();
    head();
    ctx.lineWidth = 2 * M.halo;
    ctx.stroke();
    ctx.strokeStyle = mark.color;
    ctx.lineWidth = M.lw;
    ctx.beginPath();
    ctx.moveTo(g.tx, g.ty);
    ctx.lineTo(g.sx, g.sy);
    ctx.stroke();
    head();
    ctx.fillStyle = mark.color;
    ctx.fill();
  } else if (mark.type === "text") {
    const g = layoutNote(mark, W, H, M);
    // Pin at the clicked point.
    ctx.beginPath();
    ctx.arc(g.px, g.py, g.r, 0, Math.PI * 2);
    ctx.fillStyle = mark.color;
    ctx.fill();
    ctx.strokeStyle = HALO;
    ctx.lineWidth = M.halo;
    ctx.stroke();
    // Label.
    roundRectPath(ctx, g.x, g.y, g.w, g.h, g.radius);
    ctx.fillStyle = mark.color;
    ctx.fill();
    ctx.strokeStyle = HALO;
    ctx.lineWidth = M.halo;
    ctx.stroke();
    ctx.font = g.font;
    ctx.fillStyle = textColorOn(mark.color);
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    g.lines.forEach((line, i) => {
      ctx.fillText(line, g.x + g.padX, g.y + g.padY + g.lineH * (i + 0.5));
    });
  }
  ctx.restore();
}

/** Pixel bounds [x0, y0, x1, y1] a mark can touch (including halo and antialiasing). */
function markBounds(mark, W, H, M) {
  const pad = M.lw / 2 + M.halo + 2;
  let xs = [], ys = [];
  if (mark.type === "circle") {
    const g = circleGeometry(mark, W, H);
    xs = [g.cx - g.rx, g.cx + g.rx];
    ys = [g.cy - g.ry, g.cy + g.ry];
  } else if (mark.type === "arrow") {
    const g = arrowGeometry(mark, W, H, M);
    xs = [g.tx, g.hx, g.left[0], g.right[0]];
    ys = [g.ty, g.hy, g.left[1], g.right[1]];
  } else if (mark.type === "text") {
    const g = layoutNote(mark, W, H, M);
    xs = [g.x, g.x + g.w, g.px - g.r, g.px + g.r];
    ys = [g.y, g.y + g.h, g.py - g.r, g.py + g.r];
  }
  return [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
}

/** Union of all mark bounds as fractions of the image, snapped outward to whole pixels. */
function regionOf(marks, W, H) {
  if (!marks.length || !W || !H) return null;
  const M = metricsFor(W, H);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const m of marks) {
    const b = markBounds(m, W, H, M);
    x0 = Math.min(x0, b[0]);
    y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[2]);
    y1 = Math.max(y1, b[3]);
  }
  const px0 = clamp(Math.floor(x0), 0, W), py0 = clamp(Math.floor(y0), 0, H);
  const px1 = clamp(Math.ceil(x1), 0, W), py1 = clamp(Math.ceil(y1), 0, H);
  const r = (v) => Math.round(v * 1e6) / 1e6;
  return [r(px0 / W), r(py0 / H), r(px1 / W), r(py1 / H)];
}

function drawCursor(ctx, p, W, H, M) {
  const x = p.x * W, y = p.y * H, s = M.lw * 4;
  ctx.save();
  ctx.lineCap = "round";
  for (const [style, width] of [[HALO, M.lw + 2 * M.halo], ["#3e63dd", M.lw * 0.7]]) {
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(x - s, y);
    ctx.lineTo(x + s, y);
    ctx.moveTo(x, y - s);
    ctx.lineTo(x, y + s);
    ctx.stroke();
  }
  ctx.restore();
}

function describe(mark) {
  if (mark.type === "text") return `Note “${mark.text}”`;
  return TOOL_NAMES[mark.type] || "Mark";
}

export function AnnotationCanvas({
  src,
  tool = "circle",
  color = DEFAULT_COLOR,
  noteText = "",
  clearSignal = 0,
  undoSignal = 0,
  submitSignal = 0,
  uploadUrl = "",
  uploadToken = "",
  onChange,
  onUploaded,
  id,
  className,
  style,
}) {
  const activeTool = TOOLS.includes(tool) ? tool : "circle";
  const strokeColor = color || DEFAULT_COLOR;
  const hintId = useId();

  const surfaceRef = useRef(null);
  const imgRef = useRef(null);
  const canvasRef = useRef(null);
  const marksRef = useRef([]);
  const dragRef = useRef(null); // {pointerId, start, end, shift}
  const kbRef = useRef({ cursor: { x: 0.5, y: 0.5 }, anchor: null, visible: false });
  const onChangeRef = useRef(onChange);
  const onUploadedRef = useRef(onUploaded);
  const prevSubmit = useRef(submitSignal);
  const pendingEmit = useRef(false);
  const prevClear = useRef(clearSignal);
  const prevUndo = useRef(undoSignal);

  const [marks, setMarks] = useState([]);
  const [natural, setNatural] = useState(null); // {w, h}
  const [loadError, setLoadError] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const announceCount = useRef(0);

  onChangeRef.current = onChange;
  onUploadedRef.current = onUploaded;
  marksRef.current = marks;

  const announce = useCallback((text) => {
    announceCount.current += 1;
    // Alternate a trailing no-break space so a repeated message is re-announced.
    setAnnouncement(text + (announceCount.current % 2 ? "" : "\u00a0"));
  }, []);

  const updateMarks = useCallback((next, message) => {
    pendingEmit.current = true;
    marksRef.current = next;
    setMarks(next);
    if (message) announce(`${message} ${plural(next.length)}.`);
  }, [announce]);

  // ---- drawing the on-screen overlay -------------------------------------------------
  const redraw = useCallback(() => {
    const canvas = canvasRef.current;
    const surface = surfaceRef.current;
    if (!canvas || !surface || !natural) return;
    const rect = surface.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.max(1, Math.round(rect.width * dpr));
    const ch = Math.max(1, Math.round(rect.height * dpr));
    if (canvas.width !== cw) canvas.width = cw;
    if (canvas.height !== ch) canvas.height = ch;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    const W = natural.w, H = natural.h;
    ctx.setTransform(cw / W, 0, 0, ch / H, 0, 0);
    const M = metricsFor(W, H);
    for (const m of marksRef.current) drawMark(ctx, m, W, H, M);
    const drag = dragRef.current;
    const kb = kbRef.current;
    const draftFrom = drag ? drag.start : kb.visible ? kb.anchor : null;
    const draftTo = drag ? drag.end : kb.cursor;
    if (draftFrom && activeTool !== "text") {
      ctx.globalAlpha = 0.75;
      drawMark(ctx, makeShape(activeTool, draftFrom, draftTo, drag && drag.shift, strokeColor, W, H), W, H, M);
      ctx.globalAlpha = 1;
    }
    if (kb.visible) drawCursor(ctx, kb.cursor, W, H, M);
  }, [natural, activeTool, strokeColor]);

  useEffect(() => {
    redraw();
  }, [redraw, marks]);

  // Resize: the overlay follows the displayed size of the image.
  useEffect(() => {
    const surface = surfaceRef.current;
    if (!surface) return undefined;
    let frame = 0;
    const schedule = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(redraw);
    };
    let observer = null;
    if (typeof ResizeObserver !== "undefined") {
      observer = new ResizeObserver(schedule);
      observer.observe(surface);
    }
    window.addEventListener("resize", schedule);
    return () => {
      cancelAnimationFrame(frame);
      if (observer) observer.disconnect();
      window.removeEventListener("resize", schedule);
    };
  }, [redraw]);

  // ---- image loading ---------------------------------------------------------------
  const onImgLoad = useCallback(() => {
    const img = imgRef.current;
    if (!img) return;
    const w = img.naturalWidth || img.width;
    const h = img.naturalHeight || img.height;
    if (!w || !h) return;
    setLoadError(false);
    setNatural((prev) => (prev && prev.w === w && prev.h === h ? prev : { w, h }));
  }, []);

  const onImgError = useCallback(() => {
    setNatural(null);
    setLoadError(true);
    announce("The image could not be loaded.");
  }, [announce]);

  useEffect(() => {
    // A new image invalidates the marks.
    setNatural(null);
    setLoadError(false);
    dragRef.current = null;
    kbRef.current.anchor = null;
    if (marksRef.current.length) updateMarks([], "Image changed, marks cleared.");
    // The image may already be complete (cache) before React attached onLoad.
    const img = imgRef.current;
    if (img && img.complete && img.naturalWidth) onImgLoad();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [src]);

  // ---- export, upload and onChange -----------------------------------------------------
  const exportBlob = useCallback((list) => {
    const img = imgRef.current;
    if (!img || !natural) return Promise.resolve(null);
    const W = natural.w, H = natural.h;
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0, W, H);
    const M = metricsFor(W, H);
    for (const m of list) drawMark(ctx, m, W, H, M);
    return new Promise((resolve) => {
      try {
        canvas.toBlob((blob) => resolve(blob || null), "image/png");
      } catch (err) {
        // A cross-origin image without CORS taints the canvas.
        resolve(null);
      }
    });
  }, [natural]);

  useEffect(() => {
    if (!pendingEmit.current || !natural) return;
    pendingEmit.current = false;
    const cb = onChangeRef.current;
    if (typeof cb === "function") cb({ region: regionOf(marks, natural.w, natural.h), count: marks.length });
  }, [marks, natural]);

  useEffect(() => {
    if (submitSignal === prevSubmit.current) return;
    prevSubmit.current = submitSignal;
    const list = marksRef.current;
    const report = (key, error) => {
      const cb = onUploadedRef.current;
      const region = natural ? regionOf(list, natural.w, natural.h) : null;
      if (typeof cb === "function") cb({ key, region, count: list.length, error });
    };
    exportBlob(list).then(async (blob) => {
      if (!blob) return report("", "The marked image could not be exported. Reload the page and try again.");
      try {
        const resp = await fetch(uploadUrl, {
          method: "POST",
          headers: { "Content-Type": "image/png", "X-Upload-Token": uploadToken || "" },
          body: blob,
          credentials: "same-origin",
        });
        const data = await resp.json().catch(() => ({}));
        if (!resp.ok) return report("", data.detail || `The upload failed (${resp.status}).`);
        report(String(data.key || ""), "");
      } catch (err) {
        report("", "The upload failed. Check your connection and try again.");
      }
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [submitSignal]);

  // ---- clear / undo signals --------------------------------------------------------
  const undo = useCallback((steps = 1) => {
    const current = marksRef.current;
    if (!current.length) {
      announce("Nothing to undo.");
      return;
    }
    const next = current.slice(0, Math.max(0, current.length - steps));
    updateMarks(next, steps === 1 ? `Removed ${describe(current[current.length - 1]).toLowerCase()}.` : `Removed ${current.length - next.length} marks.`);
  }, [announce, updateMarks]);

  useEffect(() => {
    if (prevClear.current === clearSignal) return;
    prevClear.current = clearSignal;
    dragRef.current = null;
    kbRef.current.anchor = null;
    updateMarks([], "All marks cleared.");
  }, [clearSignal, updateMarks]);

  useEffect(() => {
    if (prevUndo.current === undoSignal) return;
    const diff = Number(undoSignal) - Number(prevUndo.current);
    prevUndo.current = undoSignal;
    undo(Number.isFinite(diff) && diff > 1 ? diff : 1);
  }, [undoSignal, undo]);

  // ---- creating marks ----------------------------------------------------------------
  const addMark = useCallback((mark) => {
    updateMarks([...marksRef.current, mark], `${describe(mark)} added.`);
  }, [updateMarks]);

  const placeNote = useCallback((p) => {
    const text = String(noteText || "").trim();
    if (!text) {
      announce("Type the note text first, then place it.");
      return;
    }
    addMark({ type: "text", x: p.x, y: p.y, text, color: strokeColor });
  }, [noteText, strokeColor, addMark, announce]);

  /** Finish a circle/arrow from a to b if it is big enough on screen. */
  const finishShape = useCallback((a, b, shift) => {
    const rect = surfaceRef.current.getBoundingClientRect();
    const dx = (b.x - a.x) * rect.width, dy = (b.y - a.y) * rect.height;
    const big = activeTool === "arrow"
      ? Math.hypot(dx, dy) >= MIN_DRAG_PX * 1.5
      : Math.max(Math.abs(dx), Math.abs(dy)) >= MIN_DRAG_PX;
    if (!big) {
      announce(activeTool === "arrow" ? "Drag from the tail to the tip to draw an arrow." : "Drag to size the circle.");
      return false;
    }
    addMark(makeShape(activeTool, a, b, shift, strokeColor, natural.w, natural.h));
    return true;
  }, [activeTool, strokeColor, natural, addMark, announce]);

  const toFraction = (e) => {
    const rect = surfaceRef.current.getBoundingClientRect();
    return {
      x: clamp((e.clientX - rect.left) / rect.width, 0, 1),
      y: clamp((e.clientY - rect.top) / rect.height, 0, 1),
    };
  };

  const onPointerDown = (e) => {
    if (!natural) return;
    if (e.pointerType === "mouse" && e.button !== 0) return;
    if (dragRef.current) return; // one pointer at a time
    e.preventDefault();
    if (surfaceRef.current && document.activeElement !== surfaceRef.current) {
      surfaceRef.current.focus({ preventScroll: true });
    }
    kbRef.current.visible = false;
    kbRef.current.anchor = null;
    const p = toFraction(e);
    try {
      e.currentTarget.setPointerCapture(e.pointerId);
    } catch (err) {
      /* capture is best effort */
    }
    dragRef.current = { pointerId: e.pointerId, start: p, end: p, shift: e.shiftKey };
    redraw();
  };

  const onPointerMove = (e) => {
    const drag = dragRef.current;
    if (!drag || drag.pointerId !== e.pointerId) return;
    drag.end = toFraction(e);
    drag.shift = e.shiftKey;
    if (activeTool !== "text") redraw();
  };

  const onPointerUp = (e) => {
    const drag = dragRef.current;
    if (!drag || drag.pointerId !== e.pointerId) return;
    dragRef.current = null;
    const end = toFraction(e);
    if (activeTool === "text") placeNote(end);
    else finishShape(drag.start, end, e.shiftKey);
    redraw();
  };

  const onPointerCancel = (e) => {
    const drag = dragRef.current;
    if (!drag || drag.pointerId !== e.pointerId) return;
    dragRef.current = null;
    redraw();
  };

  // ---- keyboard --------------------------------------------------------------------
  const onKeyDown = (e) => {
    if (!natural) return;
    const kb = kbRef.current;
    const key = e.key;
    if ((e.ctrlKey || e.metaKey) && (key === "z" || key === "Z") && !e.shiftKey) {
      e.preventDefault();
      undo(1);
      return;
    }
    if (key === "Backspace" || key === "Delete") {
      e.preventDefault();
      undo(1);
      return;
    }
    if (key === "Escape") {
      if (kb.anchor || dragRef.current) {
        e.preventDefault();
        kb.anchor = null;
        dragRef.current = null;
        announce("Cancelled.");
      }
      kb.visible = false;
      redraw();
      return;
    }
    const step = e.shiftKey ? 0.1 : 0.02;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[key]) {
      e.preventDefault();
      kb.cursor = {
        x: clamp(kb.cursor.x + moves[key][0], 0, 1),
        y: clamp(kb.cursor.y + moves[key][1], 0, 1),
      };
      kb.visible = true;
      redraw();
      return;
    }
    if (key === "Enter" || key === " ") {
      e.preventDefault();
      kb.visible = true;
      if (activeTool === "text") {
        placeNote(kb.cursor);
      } else if (!kb.anchor) {
        kb.anchor = { ...kb.cursor };
        announce("Start point set. Move with the arrow keys, then press Enter to finish.");
      } else if (finishShape(kb.anchor, kb.cursor, false)) {
        kb.anchor = null;
      }
      redraw();
    }
  };

  const onBlur = () => {
    kbRef.current.visible = false;
    kbRef.current.anchor = null;
    redraw();
  };

  // ---- render ------------------------------------------------------------------------
  const count = marks.length;
  const label = loadError
    ? "Annotation canvas, the image could not be loaded"
    : `Annotation canvas, ${plural(count)}`;
  const cursor = !natural ? "default" : activeTool === "text" ? "copy" : "crosshair";
  const crossOrigin = needsCors(src) ? "anonymous" : undefined;

  return (
    <div id={id} className={className} style={{ position: "relative", width: "100%", ...style }}>
      <style>{CSS}</style>
      <div
        ref={surfaceRef}
        className="rx-annot-surface"
        role="img"
        aria-label={label}
        aria-describedby={hintId}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onBlur={onBlur}
        style={natural ? undefined : { aspectRatio: "3 / 2", background: "#f0f0f3" }}
      >
        {src ? (
          <img
            ref={imgRef}
            src={src}
            alt=""
            aria-hidden="true"
            draggable={false}
            crossOrigin={crossOrigin}
            onLoad={onImgLoad}
            onError={onImgError}
            style={natural ? undefined : { position: "absolute", opacity: 0 }}
          />
        ) : null}
        <canvas
          ref={canvasRef}
          aria-hidden="true"
          style={{ cursor }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerCancel}
          onLostPointerCapture={onPointerCancel}
          onContextMenu={(e) => dragRef.current && e.preventDefault()}
        />
        {!natural ? (
          <div className="rx-annot-status" aria-hidden="true">
            {loadError ? "Image could not be loaded" : src ? "Loading image…" : "No image"}
          </div>
        ) : null}
      </div>
      <span id={hintId} hidden>
        Draw on the image with a mouse, pen or finger. Keyboard: arrow keys move the cursor, Enter
        sets the start and end points or places the note, Escape cancels, Control+Z removes the last
        mark.
      </span>
      <div role="status" aria-live="polite" aria-atomic="true" style={SR_ONLY}>
        {announcement}
      </div>
    </div>
  );
}

/** Build a circle/arrow mark from two points (fractions). Shift makes a true circle. */
function makeShape(tool, a, b, shift, color, W, H) {
  if (tool === "arrow") return { type: "arrow", x0: a.x, y0: a.y, x1: b.x, y1: b.y, color };
  let x1 = b.x, y1 = b.y;
  if (shift && W && H) {
    const dx = (b.x - a.x) * W, dy = (b.y - a.y) * H;
    const s = Math.max(Math.abs(dx), Math.abs(dy));
    x1 = clamp(a.x + (Math.sign(dx) || 1) * s / W, 0, 1);
    y1 = clamp(a.y + (Math.sign(dy) || 1) * s / H, 0, 1);
  }
  return { type: "circle", x0: a.x, y0: a.y, x1, y1, color };
}

export default AnnotationCanvas;
