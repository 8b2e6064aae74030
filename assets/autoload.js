// Infinite scroll for keyset-paged lists (issue 9 item 4, seed 003 "Discovery Section"): a button marked
// data-autoload ("Show more") is pressed when it comes within 400 px of the viewport. It stays a visible,
// keyboard-usable button, so the list also works without scrolling and for assistive technology.
(function () {
  if (!("IntersectionObserver" in window)) return;
  const watched = new WeakSet();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const button = entry.target;
      if (!entry.isIntersecting || button.disabled || button.getAttribute("data-loading") === "true") continue;
      button.click();
      // look again once the next page has rendered: a short page can leave the button in view
      observer.unobserve(button);
      setTimeout(() => { if (button.isConnected) observer.observe(button); }, 700);
    }
  }, { rootMargin: "0px 0px 400px 0px" });
  const scan = () => {
    document.querySelectorAll("[data-autoload]").forEach((el) => {
      if (!watched.has(el)) { watched.add(el); observer.observe(el); }
    });
  };
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
})();
