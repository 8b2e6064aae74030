// The "Add scene" dialog's placement editor (issue 11 item 1): drag on the background preview to draw the
// rectangle the design goes into. The rectangle is kept in four number inputs (X, Y, Width, Height, in pixels
// of the uploaded image) that the form submits; typing in them redraws the rectangle, so the editor also works
// by keyboard. The optional perspective corners (four x,y pairs) are drawn as an outline when all are filled.
//
// Markup (components/scene_upload.py): an element [data-placement-editor] with data-width / data-height (the
// image's pixel size) containing an <img>, a [data-placement-rect] box and an <svg data-placement-corners>;
// the inputs are named px, py, pw, ph and c1x..c4y inside the same <form>.
(function () {
  const RECT = ["px", "py", "pw", "ph"];
  const CORNERS = ["c1x", "c1y", "c2x", "c2y", "c3x", "c3y", "c4x", "c4y"];

  function size(editor) {
    return { w: Number(editor.dataset.width) || 0, h: Number(editor.dataset.height) || 0 };
  }
  function field(editor, name) {
    const form = editor.closest("form");
    return form ? form.querySelector(`input[name="${name}"]`) : null;
  }
  function num(input) {
    if (!input || input.value.trim() === "") return null;
    const n = Number(input.value);
    return Number.isFinite(n) ? n : null;
  }
  function setValue(input, value) {
    if (!input) return;
    // native setter + input event, so a controlled input (if any) hears it too
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, String(value));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function draw(editor) {
    const { w, h } = size(editor);
    const box = editor.querySelector("[data-placement-rect]");
    const svg = editor.querySelector("[data-placement-corners]");
    if (!box || !w || !h) return;
    const [x, y, rw, rh] = RECT.map((n) => num(field(editor, n)));
    if ([x, y, rw, rh].some((v) => v === null) || rw <= 0 || rh <= 0) {
      box.style.display = "none";
    } else {
      box.style.display = "block";
      box.style.left = `${(x / w) * 100}%`;
      box.style.top = `${(y / h) * 100}%`;
      box.style.width = `${(rw / w) * 100}%`;
      box.style.height = `${(rh / h) * 100}%`;
    }
    if (svg) {
      const c = CORNERS.map((n) => num(field(editor, n)));
      const poly = svg.querySelector("polygon");
      svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
      if (poly && c.every((v) => v !== null)) {
        poly.setAttribute("points", `${c[0]},${c[1]} ${c[2]},${c[3]} ${c[4]},${c[5]} ${c[6]},${c[7]}`);
        svg.style.display = "block";
      } else {
        svg.style.display = "none";
      }
    }
  }

  function point(editor, ev) {
    const img = editor.querySelector("img");
    const r = (img || editor).getBoundingClientRect();
    const { w, h } = size(editor);
    const fx = Math.min(Math.max((ev.clientX - r.left) / r.width, 0), 1);
    const fy = Math.min(Math.max((ev.clientY - r.top) / r.height, 0), 1);
    return { x: Math.round(fx * w), y: Math.round(fy * h) };
  }

  function fresh(editor) {
    // a new image (another src): start with a centred rectangle of half its size
    const img = editor.querySelector("img");
    const { w, h } = size(editor);
    if (!img || !w || !h || editor.dataset.src === img.src) { draw(editor); return; }
    editor.dataset.src = img.src;
    [Math.round(w / 4), Math.round(h / 4), Math.round(w / 2), Math.round(h / 2)]
      .forEach((v, i) => setValue(field(editor, RECT[i]), v));
    draw(editor);
  }

  let drag = null;
  document.addEventListener("pointerdown", (ev) => {
    const editor = ev.target.closest && ev.target.closest("[data-placement-editor]");
    if (!editor || ev.button !== 0 || !size(editor).w) return;
    ev.preventDefault();
    drag = { editor, start: point(editor, ev), id: ev.pointerId };
    try { editor.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events */ }
  });
  document.addEventListener("pointermove", (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const p = point(drag.editor, ev);
    const s = drag.start;
    const vals = [Math.min(s.x, p.x), Math.min(s.y, p.y), Math.abs(p.x - s.x), Math.abs(p.y - s.y)];
    if (vals[2] < 2 || vals[3] < 2) return;
    vals.forEach((v, i) => setValue(field(drag.editor, RECT[i]), v));
    draw(drag.editor);
  });
  const end = (ev) => {
    if (!drag || ev.pointerId !== drag.id) return;
    try { drag.editor.releasePointerCapture(ev.pointerId); } catch (e) { /* already released */ }
    drag = null;
  };
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);

  // typing in X, Y, Width, Height or a corner redraws the outline
  document.addEventListener("input", (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || ![...RECT, ...CORNERS].includes(input.name)) return;
    const form = input.closest("form");
    const editor = form && form.querySelector("[data-placement-editor]");
    if (editor) draw(editor);
  });
  // the preview image arrived (or changed): load events do not bubble, so listen in the capture phase
  document.addEventListener("load", (ev) => {
    const img = ev.target;
    if (!(img instanceof HTMLImageElement)) return;
    const editor = img.closest("[data-placement-editor]");
    if (editor) fresh(editor);
  }, true);
  // an editor that appears with its image already decoded (cache)
  new MutationObserver(() => {
    document.querySelectorAll("[data-placement-editor]").forEach((editor) => {
      const img = editor.querySelector("img");
      if (img && img.complete && img.naturalWidth) fresh(editor);
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true,
    attributeFilter: ["data-width", "data-height", "src"] });
})();
