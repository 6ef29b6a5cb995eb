// The gpt4all-rag chat page: plain JavaScript, no build step, nothing from the internet.
// It speaks the server's OpenAI-compatible API: /v1/models, /v1/collections and streamed
// /v1/chat/completions with the LocalDocs "collections" field; sources arrive in the last chunk.
"use strict";

const STORE = {
  key: "gpt4all-rag.api-key",
  model: "gpt4all-rag.model",
  collections: "gpt4all-rag.collections",
  chat: "gpt4all-rag.conversation-id",
};

const $ = (id) => document.getElementById(id);
const ui = {
  model: $("model"),
  collections: $("collections"),
  collectionsEmpty: $("collections-empty"),
  messages: $("messages"),
  welcome: $("welcome"),
  composer: $("composer"),
  question: $("question"),
  send: $("send"),
  stop: $("stop"),
  status: $("status"),
  newChat: $("new-chat"),
  keyButton: $("key-button"),
  keyDialog: $("key-dialog"),
  keyForm: $("key-form"),
  keyInput: $("key-input"),
  addForm: $("add-form"),
  addFolder: $("add-folder"),
  addName: $("add-name"),
  addWatch: $("add-watch"),
  addSubmit: $("add-submit"),
  addError: $("add-error"),
  chats: $("chats"),
  chatsEmpty: $("chats-empty"),
  browse: $("browse"),
  folderDialog: $("folder-dialog"),
  folderPath: $("folder-path"),
  folderList: $("folder-list"),
  folderError: $("folder-error"),
  folderUp: $("folder-up"),
  folderCancel: $("folder-cancel"),
  folderChoose: $("folder-choose"),
};

// Each turn: {role: "user" | "assistant", content: string, sources?: [...], error?: string}
let conversation = [];
let conversationId = localStorage.getItem(STORE.chat); // kept by the server (/v1/conversations)
let running = null; // the AbortController of the reply being streamed

function loadJSON(name, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(name));
    return value ?? fallback;
  } catch {
    return fallback;
  }
}

function setConversationId(id) {
  conversationId = id;
  if (id) localStorage.setItem(STORE.chat, id);
  else localStorage.removeItem(STORE.chat);
}

function setStatus(text) {
  ui.status.textContent = text;
}

// --- talking to the server ---------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers() {
  const result = { "Content-Type": "application/json" };
  const key = localStorage.getItem(STORE.key);
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body.error && body.error.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message);
}

async function getJSON(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// Yields the parsed JSON of each server-sent event until [DONE].
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

// --- models, collections, API key --------------------------------------------------------------

async function withKey(load) {
  try {
    return await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      ui.keyButton.hidden = false;
      askForKey(error.message);
      return null;
    }
    throw error;
  }
}

function askForKey(reason) {
  setStatus(reason);
  ui.keyInput.value = "";
  if (!ui.keyDialog.open) ui.keyDialog.showModal();
  ui.keyInput.focus();
}

async function loadModels() {
  const list = await getJSON("/v1/models");
  const chat = list.data.filter((model) => !model.type || model.type === "chat");
  const wanted = localStorage.getItem(STORE.model);
  ui.model.replaceChildren(
    ...chat.map((model) => {
      const option = new Option(model.id, model.id);
      option.selected = model.id === wanted;
      return option;
    }),
  );
}

// --- LocalDocs: the collections, their indexing jobs, and adding a folder ----------------------

const collectionItems = new Map(); // collection id -> its <li>, updated in place (keeps focus)
let collectionStream = null; // AbortController of the live list

function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function actionButton(label, handler) {
  const button = el("button", "ghost small", label);
  button.type = "button";
  button.addEventListener("click", handler);
  return button;
}

async function sendJSON(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

async function collectionAction(id, run) {
  const item = collectionItems.get(id);
  const error = item && item.querySelector(".item-error");
  if (error) error.hidden = true;
  try {
    await run();
  } catch (failed) {
    if (failed instanceof ApiError && failed.status === 401) askForKey(failed.message);
    if (error) {
      error.textContent = failed.message;
      error.hidden = false;
    }
  }
}

function newCollectionItem(id) {
  const item = el("li", "collection");
  item.dataset.id = id;
  const label = el("label", "pick");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.value = id;
  box.checked = new Set(loadJSON(STORE.collections, [])).has(id);
  box.addEventListener("change", rememberCollections);
  label.append(box, el("span", "name", id), el("span", "counts"));
  const status = el("div", "status-line"); // changes are announced through #status, once
  const bar = document.createElement("progress");
  bar.className = "progress";
  bar.max = 1;
  bar.hidden = true;
  bar.setAttribute("aria-label", `Indexing ${id}`);
  const current = el("div", "current");
  const failures = el("details", "failures");
  failures.hidden = true;
  failures.append(el("summary"), el("ul"));
  const folders = el("div", "folders");
  const actions = el("div", "actions");
  const watch = document.createElement("input");
  watch.type = "checkbox";
  watch.className = "watch";
  const watchLabel = el("label", "inline watch-label");
  watchLabel.append(watch, el("span", "", "Watch"));
  watch.addEventListener("change", () =>
    collectionAction(id, () =>
      sendJSON("PATCH", `/v1/collections/${encodeURIComponent(id)}`, { watch: watch.checked }),
    ),
  );
  const reindex = actionButton("Re-index", () =>
    collectionAction(id, () => sendJSON("POST", `/v1/collections/${encodeURIComponent(id)}/index`)),
  );
  reindex.classList.add("reindex");
  const stop = actionButton("Stop", () =>
    collectionAction(id, () => sendJSON("POST", `/v1/collections/${encodeURIComponent(id)}/cancel`)),
  );
  stop.classList.add("stop");
  const remove = actionButton("Remove", () => {
    if (!window.confirm(`Remove the collection "${id}"? Your files are not touched.`)) return;
    collectionAction(id, async () => {
      await sendJSON("DELETE", `/v1/collections/${encodeURIComponent(id)}`);
      forgetCollection(id);
    });
  });
  remove.classList.add("remove", "danger-text");
  const setFolder = actionButton("Set folder…", () =>
    collectionAction(id, async () => {
      const path = await pickFolder(null);
      if (path) await sendJSON("PATCH", `/v1/collections/${encodeURIComponent(id)}`, { folders: [path] });
    }),
  );
  setFolder.classList.add("set-folder");
  setFolder.setAttribute("aria-label", `Set the folder of ${id}`);
  watch.setAttribute("aria-label", `Watch ${id} for changes`);
  reindex.setAttribute("aria-label", `Re-index ${id}`);
  stop.setAttribute("aria-label", `Stop indexing ${id}`);
  remove.setAttribute("aria-label", `Remove ${id}`);
  actions.append(watchLabel, reindex, setFolder, stop, remove);
  const error = el("p", "item-error error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  item.append(label, status, bar, current, failures, folders, actions, error);
  return item;
}

function forgetCollection(id) {
  collectionItems.get(id)?.remove();
  collectionItems.delete(id);
  rememberCollections();
  ui.collectionsEmpty.hidden = collectionItems.size > 0;
}

function statusText(card) {
  const job = card.job;
  if (job && job.state === "queued") {
    return job.pending_changes ? `${job.pending_changes} change(s) pending` : "Waiting to index…";
  }
  if (job && job.state === "running") {
    const total = job.files_total ? ` of ${job.files_total}` : "";
    return `Indexing: ${job.phase}, ${job.files_done}${total} files, ${job.chunks_embedded} chunks`;
  }
  if (job && job.state === "failed") return `Indexing failed: ${job.error}`;
  if (job && job.state === "cancelled") return "Stopped; re-index to finish.";
  if (card.interrupted) return "Interrupted; re-index to repair.";
  if (card.watching) return "Up to date (watching)";
  if (job && job.state === "done") {
    return `Indexed: ${job.added} added, ${job.updated} updated, ${job.deleted} removed`;
  }
  return "Ready";
}

// Announces a finished run once (the status line below the chat is a polite live region).
function announceRun(item, card) {
  const job = card.job;
  const state = job ? `${job.id}:${job.state}` : "";
  const before = item.dataset.jobState;
  item.dataset.jobState = state;
  if (!job || before === undefined || before === state) return;
  if (job.state === "done") {
    const failed = job.failed_count ? `, ${job.failed_count} failed` : "";
    setStatus(`${card.id}: indexed (${card.files} files${failed}).`);
  } else if (job.state === "failed") {
    setStatus(`${card.id}: indexing failed: ${job.error}`);
  }
}

function updateCollectionItem(item, card) {
  announceRun(item, card);
  const job = card.job;
  const running = Boolean(job && (job.state === "running" || job.state === "queued"));
  item.classList.toggle("busy", running);
  item.querySelector(".counts").textContent =
    `${card.files} files · ${card.chunks} chunks` +
    (card.failed_files ? ` · ${card.failed_files} failed` : "");
  item.querySelector(".status-line").textContent = statusText(card);
  item.dataset.status = card.status;
  item.dataset.upToDate = String(Boolean(card.up_to_date));
  const bar = item.querySelector(".progress");
  bar.hidden = !(job && job.state === "running");
  if (job && job.state === "running" && job.files_total) {
    bar.max = job.files_total;
    bar.value = job.files_done;
  } else {
    bar.removeAttribute("value"); // indeterminate
  }
  item.querySelector(".current").textContent =
    job && job.state === "running" && job.current ? baseName(job.current) : "";
  const failures = item.querySelector(".failures");
  const failed = job && job.failures ? job.failures : [];
  failures.hidden = failed.length === 0;
  failures.querySelector("summary").textContent = `${job ? job.failed_count : 0} file(s) failed`;
  failures.querySelector("ul").replaceChildren(
    ...failed.map((entry) => {
      const line = el("li");
      line.append(el("span", "where", baseName(entry.source)), el("span", "why", `: ${entry.error}`));
      line.title = entry.source;
      return line;
    }),
  );
  item.querySelector(".folders").textContent = card.folders
    ? card.folders.join(", ")
    : "Folder unknown (indexed before folders were kept): set it to re-index or watch.";
  const watch = item.querySelector(".watch");
  watch.checked = Boolean(card.watched);
  watch.disabled = !card.folders;
  item.querySelector(".reindex").disabled = running || !card.folders;
  item.querySelector(".stop").hidden = !running;
  item.querySelector(".set-folder").hidden = Boolean(card.folders);
}

function showCollections(cards) {
  const seen = new Set();
  cards.forEach((card, index) => {
    seen.add(card.id);
    let item = collectionItems.get(card.id);
    if (!item) {
      item = newCollectionItem(card.id);
      collectionItems.set(card.id, item);
    }
    updateCollectionItem(item, card);
    if (ui.collections.children[index] !== item) {
      ui.collections.insertBefore(item, ui.collections.children[index] || null);
    }
  });
  for (const id of [...collectionItems.keys()]) {
    if (!seen.has(id)) {
      collectionItems.get(id).remove();
      collectionItems.delete(id);
    }
  }
  ui.collectionsEmpty.hidden = cards.length > 0;
}

async function loadCollections() {
  const list = await getJSON("/v1/collections");
  showCollections(list.data);
  watchCollections();
}

// Follows /v1/collections?stream=true; reconnects after a drop.
async function watchCollections() {
  if (collectionStream) collectionStream.abort();
  const controller = new AbortController();
  collectionStream = controller;
  while (!controller.signal.aborted) {
    try {
      const response = await fetch("/v1/collections?stream=true", {
        headers: headers(),
        signal: controller.signal,
      });
      if (!response.ok) throw await failure(response);
      for await (const list of events(response)) showCollections(list.data);
    } catch (error) {
      if (controller.signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function addFolder(event) {
  event.preventDefault();
  const folder = ui.addFolder.value.trim();
  const name = ui.addName.value.trim();
  ui.addError.hidden = true;
  ui.addSubmit.disabled = true;
  try {
    await sendJSON("POST", "/v1/collections", { name, folders: [folder], watch: ui.addWatch.checked });
    showCollections((await getJSON("/v1/collections")).data);
    ui.addFolder.value = "";
    ui.addName.value = "";
    const box = collectionItems.get(name)?.querySelector('input[type="checkbox"]');
    if (box) {
      box.checked = true;
      rememberCollections();
    }
    setStatus(`Indexing ${folder} into ${name}…`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) askForKey(error.message);
    ui.addError.textContent = error.message;
    ui.addError.hidden = false;
  } finally {
    ui.addSubmit.disabled = false;
  }
}

// Browsing the server's folders (a page cannot learn the path of a folder picked in the browser).
let browsing = null; // the folder shown: {path, parent, folders}

async function showFolder(path) {
  ui.folderError.hidden = true;
  try {
    const query = path ? `?path=${encodeURIComponent(path)}` : "";
    browsing = await getJSON(`/v1/folders${query}`);
  } catch (error) {
    ui.folderError.textContent = error.message;
    ui.folderError.hidden = false;
    return;
  }
  ui.folderPath.textContent = browsing.path;
  ui.folderUp.disabled = !browsing.parent;
  ui.folderList.replaceChildren(
    ...browsing.folders.map((folder) => {
      const item = el("li");
      const button = el("button", "ghost folder", `📁 ${folder.name}`);
      button.type = "button";
      button.addEventListener("click", () => showFolder(folder.path));
      item.append(button);
      return item;
    }),
  );
  if (!browsing.folders.length) ui.folderList.append(el("li", "hint", "No sub-folders."));
  (ui.folderList.querySelector("button") || ui.folderChoose).focus();
}

let folderChosen = null; // resolves the pending pickFolder() call

// Opens the folder dialog at ``start``; resolves to the chosen path, or null when cancelled.
function pickFolder(start) {
  if (folderChosen) folderChosen(null);
  ui.folderDialog.showModal();
  showFolder(start || null);
  return new Promise((resolve) => {
    folderChosen = resolve;
  });
}

function closeFolderDialog(path) {
  ui.folderDialog.close();
  const resolve = folderChosen;
  folderChosen = null;
  if (resolve) resolve(path);
}

async function browseForNewCollection() {
  const path = await pickFolder(ui.addFolder.value.trim());
  if (!path) return;
  ui.addFolder.value = path;
  suggestName();
  ui.addName.focus();
}

// Suggests a collection name from the folder's last part.
function suggestName() {
  if (ui.addName.value && ui.addName.dataset.auto !== "true") return;
  const base = baseName(ui.addFolder.value.trim().replace(/[\\/]+$/, ""))
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "")
    .slice(0, 63);
  ui.addName.value = base.length >= 3 ? base : "";
  ui.addName.dataset.auto = "true";
}

function chosenCollections() {
  return [...ui.collections.querySelectorAll(".pick input:checked")].map((box) => box.value);
}

function rememberCollections() {
  localStorage.setItem(STORE.collections, JSON.stringify(chosenCollections()));
}

async function loadAll() {
  const loaded = await withKey(async () => {
    await loadModels();
    await loadCollections();
    const kept = await loadConversations();
    if (conversationId && kept.some((summary) => summary.id === conversationId)) {
      await openConversation(conversationId);
    } else if (conversationId) {
      setConversationId(null);
    }
    return true;
  });
  if (loaded) setStatus("");
}

// --- chats kept by the server ------------------------------------------------------------------

function formatWhen(seconds) {
  const date = new Date(seconds * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString();
}

async function loadConversations() {
  const list = await getJSON("/v1/conversations");
  ui.chats.replaceChildren(
    ...list.data.map((summary) => {
      const item = el("li", "chat-item");
      item.dataset.id = summary.id;
      const open = el("button", "chat-open ghost");
      open.type = "button";
      open.append(el("span", "chat-title", summary.title), el("span", "chat-when", formatWhen(summary.updated)));
      if (summary.id === conversationId) open.setAttribute("aria-current", "true");
      open.addEventListener("click", () => openConversation(summary.id));
      const exportButton = actionButton("⤓", () => exportConversation(summary));
      exportButton.classList.add("chat-export", "icon");
      exportButton.title = "Export as Markdown, with the sources";
      exportButton.setAttribute("aria-label", `Export "${summary.title}" as Markdown`);
      const remove = actionButton("✕", () => deleteConversation(summary));
      remove.classList.add("chat-delete", "icon", "danger-text");
      remove.title = "Delete this chat";
      remove.setAttribute("aria-label", `Delete "${summary.title}"`);
      item.append(open, exportButton, remove);
      return item;
    }),
  );
  ui.chatsEmpty.hidden = list.data.length > 0;
  return list.data;
}

async function openConversation(id) {
  if (running) running.abort();
  try {
    const kept = await getJSON(`/v1/conversations/${encodeURIComponent(id)}`);
    setConversationId(kept.id);
    conversation = kept.messages.map((message) => ({ ...message, done: true }));
    renderConversation();
    ui.chats.querySelectorAll(".chat-open").forEach((button) => {
      if (button.closest(".chat-item").dataset.id === id) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      setConversationId(null);
      conversation = [];
      renderConversation();
      return;
    }
    setStatus(error.message);
  }
}

async function deleteConversation(summary) {
  if (!window.confirm(`Delete the chat "${summary.title}"?`)) return;
  try {
    await sendJSON("DELETE", `/v1/conversations/${encodeURIComponent(summary.id)}`);
    if (summary.id === conversationId) startNewChat();
    await loadConversations();
  } catch (error) {
    setStatus(error.message);
  }
}

async function exportConversation(summary) {
  try {
    const response = await fetch(`/v1/conversations/${encodeURIComponent(summary.id)}/export`, {
      headers: headers(),
    });
    if (!response.ok) throw await failure(response);
    const url = URL.createObjectURL(await response.blob());
    const link = el("a");
    link.href = url;
    link.download = (summary.title.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "chat") + ".md";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    setStatus(error.message);
  }
}

// Saves a finished exchange (the question and its reply) at the end of the kept conversation.
// ``startedIn`` is the conversation the question was asked in (the user may have left it since).
async function keepExchange(question, reply, collections, startedIn) {
  const stillHere = conversationId === startedIn;
  let id = startedIn;
  try {
    if (!id) {
      const created = await sendJSON("POST", "/v1/conversations", { model: ui.model.value, collections });
      id = created.id;
      if (stillHere) setConversationId(id);
    } else {
      await sendJSON("PATCH", `/v1/conversations/${encodeURIComponent(id)}`, {
        model: ui.model.value,
        collections,
      });
    }
    const answer = { role: "assistant", content: reply.content };
    if (reply.sources) answer.sources = reply.sources;
    if (reply.error) answer.error = reply.error;
    await sendJSON("POST", `/v1/conversations/${encodeURIComponent(id)}/messages`, {
      messages: [{ role: "user", content: question }, answer],
    });
    await loadConversations();
  } catch (error) {
    setStatus(`This chat could not be saved: ${error.message}`);
  }
}

function startNewChat() {
  if (running) running.abort();
  setConversationId(null);
  conversation = [];
  renderConversation();
  ui.chats.querySelectorAll("[aria-current]").forEach((button) => button.removeAttribute("aria-current"));
}

// --- rendering ---------------------------------------------------------------------------------

function baseName(path) {
  return path.split(/[\\/]/).pop() || path;
}

function sourceLabel(source) {
  return source.page ? `${baseName(source.source)}:${source.page}` : baseName(source.source);
}

function renderSources(sources) {
  const box = document.createElement("div");
  box.className = "sources";
  const title = document.createElement("h3");
  title.textContent = `Sources (${sources.length})`;
  box.append(title);
  sources.forEach((source, index) => {
    const entry = document.createElement("details");
    entry.className = "source" + (source.cited ? " cited" : "");
    entry.dataset.ref = String(index + 1);
    const summary = document.createElement("summary");
    const ref = document.createElement("span");
    ref.className = "ref";
    ref.textContent = `[${index + 1}]`;
    const where = document.createElement("span");
    where.className = "where";
    where.textContent = sourceLabel(source);
    where.title = source.source + (source.page ? ` (page ${source.page})` : "");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = `score ${Number(source.score).toFixed(2)}`;
    summary.append(ref, where, score);
    if (source.cited) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "cited";
      summary.append(badge);
    }
    const snippet = document.createElement("blockquote");
    snippet.className = "snippet";
    if (source.quote) {
      // The sentence the answer rests on, verbatim and highlighted; shown open.
      const quote = document.createElement("mark");
      quote.className = "quote";
      quote.textContent = source.quote;
      snippet.append(quote);
      entry.open = true;
    } else {
      snippet.textContent = source.snippet;
    }
    const path = document.createElement("p");
    path.className = "path";
    path.textContent = source.source + (source.page ? ` · page ${source.page}` : "");
    const open = document.createElement("a");
    open.className = "open";
    open.target = "_blank";
    open.rel = "noopener noreferrer";
    open.textContent = source.page ? `Open at page ${source.page}` : "Open the file";
    open.hidden = true; // until the server signs a link for it
    path.append(" ", open);
    entry.append(summary, snippet, path);
    box.append(entry);
  });
  linkSources(box, sources);
  return box;
}

// Asks the server for links that open each source at its page or quote (files of a collection
// only); a source without a link keeps its path as plain text.
async function linkSources(box, sources) {
  try {
    const list = await sendJSON("POST", "/v1/sources/links", {
      sources: sources.map((source) => ({ source: source.source, page: source.page, quote: source.quote })),
    });
    box.querySelectorAll(".source").forEach((entry, index) => {
      const url = list.data[index] && list.data[index].url;
      const open = entry.querySelector("a.open");
      if (url && open) {
        open.href = url;
        open.hidden = false;
      }
    });
  } catch {
    // links are a convenience: the sources stay readable without them
  }
}

// Answer text with its [n] citations turned into buttons that open source n.
function fillAnswer(element, text, sources) {
  element.replaceChildren();
  const parts = text.split(/(\[\d+\])/);
  for (const part of parts) {
    const match = /^\[(\d+)\]$/.exec(part);
    const number = match ? Number(match[1]) : 0;
    if (match && sources && number >= 1 && number <= sources.length) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cite";
      button.textContent = part;
      button.title = sourceLabel(sources[number - 1]);
      button.addEventListener("click", () => openSource(element.closest(".turn"), number));
      element.append(button);
    } else {
      element.append(document.createTextNode(part));
    }
  }
}

function openSource(turn, number) {
  const entry = turn && turn.querySelector(`.source[data-ref="${number}"]`);
  if (!entry) return;
  entry.open = true;
  entry.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function renderTurn(turn) {
  ui.welcome.hidden = true;
  const element = document.createElement("article");
  element.className = `turn ${turn.role}`;
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = turn.role === "user" ? "You" : "Assistant";
  const text = document.createElement("div");
  text.className = "text";
  element.append(who, text);
  ui.messages.append(element);
  updateTurn(element, turn);
  return element;
}

function updateTurn(element, turn) {
  const text = element.querySelector(".text");
  fillAnswer(text, turn.content, turn.sources);
  element.querySelector(".sources")?.remove();
  element.querySelector(".error")?.remove();
  if (turn.sources && turn.sources.length) element.append(renderSources(turn.sources));
  if (turn.sources && !turn.sources.length && turn.role === "assistant" && turn.done) {
    const none = document.createElement("p");
    none.className = "sources none";
    none.textContent = "No passage of the collections matched this question.";
    element.append(none);
  }
  if (turn.error) {
    const error = document.createElement("p");
    error.className = "error";
    error.textContent = turn.error;
    element.append(error);
  }
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function renderConversation() {
  ui.messages.querySelectorAll(".turn").forEach((element) => element.remove());
  ui.welcome.hidden = conversation.length > 0;
  conversation.forEach(renderTurn);
}

// --- asking ------------------------------------------------------------------------------------

function setRunning(controller) {
  running = controller;
  ui.send.hidden = Boolean(controller);
  ui.stop.hidden = !controller;
  ui.question.disabled = Boolean(controller);
}

async function ask(question) {
  const startedIn = conversationId;
  const collections = chosenCollections();
  const messages = conversation
    .filter((turn) => !turn.error || turn.content)
    .map((turn) => ({ role: turn.role, content: turn.content }));
  messages.push({ role: "user", content: question });
  const userTurn = { role: "user", content: question };
  conversation.push(userTurn);
  renderTurn(userTurn);
  const reply = { role: "assistant", content: "", sources: collections.length ? [] : undefined };
  conversation.push(reply);
  const element = renderTurn(reply);
  element.classList.add("streaming");
  const controller = new AbortController();
  setRunning(controller);
  setStatus(collections.length ? `Searching ${collections.join(", ")}…` : "Thinking…");
  const body = { model: ui.model.value, messages, stream: true };
  if (collections.length) body.collections = collections;
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.ok) throw await failure(response);
    setStatus("Answering…");
    for await (const chunk of events(response)) {
      if (chunk.error) throw new ApiError(500, chunk.error.message);
      const choice = chunk.choices && chunk.choices[0];
      if (choice && choice.delta && choice.delta.content) {
        reply.content += choice.delta.content;
        updateTurn(element, reply);
      }
      if (chunk.sources) reply.sources = chunk.sources;
    }
    reply.done = true;
    setStatus("");
  } catch (error) {
    if (error.name === "AbortError") {
      reply.error = "Stopped.";
      setStatus("");
    } else {
      reply.error = error.message;
      setStatus("");
      if (error instanceof ApiError && error.status === 401) askForKey(error.message);
    }
  } finally {
    element.classList.remove("streaming");
    updateTurn(element, reply);
    setRunning(null);
    ui.question.focus();
  }
  await keepExchange(question, reply, collections, startedIn);
}

// --- events ------------------------------------------------------------------------------------

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = ui.question.value.trim();
  if (!question || running) return;
  ui.question.value = "";
  ask(question);
});

ui.question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});

ui.stop.addEventListener("click", () => running && running.abort());

ui.newChat.addEventListener("click", () => {
  startNewChat();
  ui.question.focus();
});

ui.addForm.addEventListener("submit", addFolder);
ui.browse.addEventListener("click", browseForNewCollection);
ui.folderUp.addEventListener("click", () => browsing && browsing.parent && showFolder(browsing.parent));
ui.folderCancel.addEventListener("click", () => closeFolderDialog(null));
ui.folderChoose.addEventListener("click", () => browsing && closeFolderDialog(browsing.path));
ui.folderDialog.addEventListener("cancel", () => closeFolderDialog(null)); // Escape
ui.addFolder.addEventListener("input", suggestName);
ui.addName.addEventListener("input", () => (ui.addName.dataset.auto = "false"));

ui.model.addEventListener("change", () => localStorage.setItem(STORE.model, ui.model.value));

ui.keyButton.addEventListener("click", () => askForKey("Enter the server's API key."));

ui.keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) return;
  localStorage.setItem(STORE.key, key);
  ui.keyDialog.close();
  loadAll().catch((error) => setStatus(error.message));
});

renderConversation();
loadAll().catch((error) => setStatus(`Cannot reach the server: ${error.message}`));
