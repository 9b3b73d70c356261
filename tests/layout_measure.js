// Measures one page for tests/test_layout_every_page.py: how much wider than the viewport the
// document is, the elements that stick out (to name the culprit), words of headings broken
// across lines, and text of the pictures drawn in SVG (the statistics charts, the mastery
// rings, the mind maps) that renders under 11 CSS pixels once the picture is scaled.
() => {
  const viewport = document.documentElement.clientWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > viewport) {
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.right > viewport + 0.5 && box.width > 0) {
        let scrolls = false;
        for (let p = el.parentElement; p; p = p.parentElement) {
          const style = getComputedStyle(p);
          if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)
              && p.getBoundingClientRect().right <= viewport + 0.5) { scrolls = true; break; }
        }
        if (!scrolls) wide.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? "." + String(el.className).trim().split(/\s+/).join(".") : "") + " → " + Math.round(box.right));
      }
    }
  }
  const broken = [];
  for (const heading of document.querySelectorAll("h1, h2, h3, h4")) {
    if (!heading.getClientRects().length) continue;
    const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\s\-\/–—]+/g;
      let match;
      while ((match = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  const tiny = [];
  for (const text of document.querySelectorAll("main svg text")) {
    const svg = text.ownerSVGElement;
    const scale = svg.viewBox.baseVal.width ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
    const size = parseFloat(getComputedStyle(text).fontSize) * scale;
    if (svg.getBoundingClientRect().width && text.getClientRects().length && size < 11) tiny.push(text.textContent + " " + size.toFixed(1) + "px");
  }
  return {viewport, width: document.documentElement.scrollWidth, wide: wide.slice(0, 5),
          broken, tiny: tiny.slice(0, 5)};
}
