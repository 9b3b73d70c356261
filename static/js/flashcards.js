// Keyboard for flashcards: Space shows the answer, 1-4 rate it (Again, Hard, Good, Easy).
// The buttons do the work (htmx posts them); this only presses them. Keys typed into a form
// field, or with a modifier, are left alone.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const field = event.target.closest("input, textarea, select, [contenteditable]");
  if (field) return;
  const card = document.querySelector("#study-card .flashcard");
  if (!card) return;
  const back = card.querySelector("details.card-back");
  if (event.key === " " || event.code === "Space") {
    if (event.target.tagName === "SUMMARY") return; // the browser toggles it itself
    event.preventDefault();
    if (back && !back.open) back.open = true;
    return;
  }
  if (back && back.open && ["1", "2", "3", "4"].includes(event.key)) {
    const button = card.querySelector(`button[data-rating="${event.key}"]`);
    if (button && !button.disabled) {
      event.preventDefault();
      // htmx enables swapped-in content only when it settles (about 20 ms later); a key
      // pressed in between would send a plain form post, so enable this card now.
      if (window.htmx) window.htmx.process(card);
      button.click();
    }
  }
});
// Once a rating is sent, its buttons wait for the answer (no double rating by key repeat).
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.target.closest && event.target.closest(".rating-form");
  if (form) form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
});
