// Drag-and-drop ordering (issue 11 item 5: "images ordered by drag and drop"). A list marked
// data-sortable="<input id>" holds items marked draggable="true" data-sort-id="<id>". Dropping an item on
// another writes the new order ("id1,id2,...") into the named text input (kept out of sight) through the
// native value setter and dispatches an input event, so React's onChange — and the Reflex state — receive
// it; the page then re-renders the list in the saved order. The DOM is never reordered here (React owns it).
// Keyboard and assistive-technology users have the "Move up" / "Move down" buttons next to each item.
(function () {
  let dragged = null; // { list, id }

  const itemOf = (target) => (target && target.closest ? target.closest("[data-sort-id]") : null);
  const listOf = (item) => (item ? item.closest("[data-sortable]") : null);
  const clearMarks = (list) => {
    if (!list) return;
    list.querySelectorAll("[data-drag-over]").forEach((el) => el.removeAttribute("data-drag-over"));
    list.querySelectorAll("[data-dragging]").forEach((el) => el.removeAttribute("data-dragging"));
  };
  const after = (item, event) => {
    const box = item.getBoundingClientRect();
    // items flow in rows: past the middle of the item (horizontally, or vertically in a column) = after it
    return box.width >= box.height * 1.5
      ? event.clientY > box.top + box.height / 2
      : event.clientX > box.left + box.width / 2;
  };

  const writeOrder = (list, ids) => {
    const input = document.getElementById(list.getAttribute("data-sortable"));
    if (!input) return;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, ids.join(","));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };

  document.addEventListener("dragstart", (event) => {
    const item = itemOf(event.target);
    const list = listOf(item);
    if (!item || !list) return;
    dragged = { list, id: item.getAttribute("data-sort-id") };
    item.setAttribute("data-dragging", "true");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id); // Firefox starts a drag only with data
  });

  document.addEventListener("dragover", (event) => {
    const item = itemOf(event.target);
    if (!dragged || !item || listOf(item) !== dragged.list) return;
    event.preventDefault(); // allow the drop
    event.dataTransfer.dropEffect = "move";
    dragged.list.querySelectorAll("[data-drag-over]").forEach((el) => { if (el !== item) el.removeAttribute("data-drag-over"); });
    if (item.getAttribute("data-sort-id") !== dragged.id) item.setAttribute("data-drag-over", after(item, event) ? "after" : "before");
  });

  document.addEventListener("drop", (event) => {
    const item = itemOf(event.target);
    if (!dragged || !item || listOf(item) !== dragged.list) return;
    event.preventDefault();
    const list = dragged.list;
    const target = item.getAttribute("data-sort-id");
    const ids = Array.from(list.querySelectorAll("[data-sort-id]")).map((el) => el.getAttribute("data-sort-id"));
    const moving = dragged.id;
    if (target !== moving && ids.includes(moving)) {
      const rest = ids.filter((id) => id !== moving);
      const at = rest.indexOf(target) + (after(item, event) ? 1 : 0);
      rest.splice(at, 0, moving);
      if (rest.join(",") !== ids.join(",")) writeOrder(list, rest);
    }
    clearMarks(list);
    dragged = null;
  });

  document.addEventListener("dragend", () => {
    if (dragged) clearMarks(dragged.list);
    dragged = null;
  });
})();
