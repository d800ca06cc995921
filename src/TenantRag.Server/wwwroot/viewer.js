// The document viewer: a document's extracted text (GET /v1/documents/{id}/content), with a cited passage marked
// and scrolled into view. The text goes in as text nodes, never as HTML.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
let opened = 0;

/**
 * Where the passage stands in the text, as [start, end) ranges: the whole passage, or else each of its paragraphs in
 * order (a chunk that merges small sections is their passages a blank line apart, with their headings between them in
 * the text). No range when the text no longer holds it.
 */
export function locate(text, passage) {
  const whole = text.indexOf(passage);
  if (whole >= 0) return [[whole, whole + passage.length]];
  const ranges = [];
  let from = 0;
  for (const piece of passage.split(/\n{2,}/).map((p) => p.trim()).filter(Boolean)) {
    const at = text.indexOf(piece, from);
    if (at < 0) continue;
    ranges.push([at, at + piece.length]);
    from = at + piece.length;
  }

  return ranges;
}

function note(message) {
  $("viewer-note").textContent = message || "";
  $("viewer-note").hidden = !message;
}

function render(text, ranges) {
  const body = $("viewer-text");
  body.replaceChildren();
  let at = 0;
  for (const [start, end] of ranges) {
    body.append(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    body.append(mark);
    at = end;
  }

  body.append(document.createTextNode(text.slice(at)));
  const first = body.querySelector("mark");
  if (first) first.scrollIntoView({ block: "center" });
  else body.scrollTop = 0;
}

/** Opens the document; with a passage (a citation's), marks it. */
export async function openDocument(id, { title, passage } = {}) {
  const dialog = $("viewer");
  const ticket = ++opened;
  $("viewer-title").textContent = title || "Document";
  $("viewer-text").replaceChildren(document.createTextNode("Loading…"));
  note("");
  if (!dialog.open) dialog.showModal();
  try {
    const content = await (await api(`/v1/documents/${encodeURIComponent(id)}/content`)).json();
    if (ticket !== opened) return;
    $("viewer-title").textContent = content.title;
    const ranges = passage ? locate(content.text, passage) : [];
    if (passage && ranges.length === 0) {
      note("The cited passage is no longer in this document (it was replaced after the answer): it is shown first, marked, above the document's text.");
      render(`${passage}\n\n${content.text}`, [[0, passage.length]]);
    } else {
      render(content.text, ranges);
    }
  } catch (e) {
    if (ticket !== opened || e.name === "AbortError") return;
    const reason = e.status === 404 ? "This document is no longer there: it was deleted, or you cannot see it" : e.message;
    note(passage ? `${reason}. The passage as cited:` : reason);
    render(passage || "", []);
  }
}

/** Closes the viewer (sign-out). */
export function closeViewer() {
  opened++;
  if ($("viewer").open) $("viewer").close();
  $("viewer-text").replaceChildren();
}

$("viewer-close").addEventListener("click", () => $("viewer").close());
