// The document page: items beside the source text. Every change goes through the JSON API with the
// page's CSRF token and the item version it was made on; document text is only ever set as text.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const csrf = document.getElementById("csrf-token").value;
  const docId = data.document.id;
  const categoryNames = Object.fromEntries(data.taxonomy.map((c) => [c.key, c.name]));
  const FIELD_NAMES = {
    text: "内容", category: "问题类别", kind: "类型", responsible_unit: "责任单位", deadline: "完成时限",
    measures: "整改措施", status: "状态", split: "拆分", merge: "合并", add: "添加", undo: "撤销",
  };
  const ORIGIN_NAMES = { added: "审核员添加", split: "拆分所得", merged: "合并所得" };

  const list = document.getElementById("items");
  const textPane = document.getElementById("doc-text");
  const blocks = Array.from(textPane.querySelectorAll(".blk"));
  const originalText = new Map(blocks.map((b) => [b, b.textContent]));
  const message = document.getElementById("message");
  const showPage = document.getElementById("show-page");
  let items = data.items;
  let selectedId = null;
  let pendingSelection = null;

  // -- helpers -------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = "message " + (kind || "ok");
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    try {
      payload = await response.json();
    } catch (e) {
      payload = null;
    }
    if (!response.ok) {
      const error = new Error((payload && payload.error) || "请求失败（" + response.status + "）");
      error.status = response.status;
      error.payload = payload;
      throw error;
    }
    return payload;
  }

  function current() {
    return items.find((i) => i.id === selectedId) || null;
  }

  function valueText(field, value) {
    if (value === null || value === undefined || value === "") return "（空）";
    if (field === "category") return categoryNames[value] || value;
    if (field === "kind") return data.kind_names[value] || value;
    if (field === "status") return data.status_names[value] || value;
    return String(value);
  }

  // -- the source text -----------------------------------------------------------------------------

  function clearHighlight() {
    for (const b of textPane.querySelectorAll(".blk.hl")) {
      b.textContent = originalText.get(b);
      b.classList.remove("hl");
    }
  }

  function highlight(item) {
    clearHighlight();
    const start = item.citation.char_start;
    const end = item.citation.char_end;
    let first = null;
    for (const b of blocks) {
      const bs = Number(b.dataset.start);
      const be = Number(b.dataset.end);
      if (be <= start || bs >= end) continue;
      const text = originalText.get(b);
      const from = Math.max(start, bs) - bs;
      const to = Math.min(end, be) - bs;
      const mark = el("mark", {}, text.slice(from, to));
      b.replaceChildren(document.createTextNode(text.slice(0, from)), mark, document.createTextNode(text.slice(to)));
      b.classList.add("hl");
      first = first || mark;
    }
    showPageImage(item);
    if (first) scrollWithin(textPane.closest(".source-pane"), first, true);
  }

  // Scroll only the pane, never the page, and keep clear of the pane's sticky heading.
  function scrollWithin(pane, node, center) {
    const paneBox = pane.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    const sticky = Array.from(pane.querySelectorAll(".pane-head, #page-figure")).filter((n) => !n.hidden);
    const top = paneBox.top + sticky.reduce((sum, n) => sum + n.offsetHeight, 0);
    const room = paneBox.bottom - top;
    if (center) pane.scrollTop += box.top - top - Math.max(8, (room - box.height) / 2);
    else if (box.top < top) pane.scrollTop += box.top - top - 8;
    else if (box.bottom > paneBox.bottom) pane.scrollTop += Math.min(box.bottom - paneBox.bottom + 8, box.top - top - 8);
  }

  function showPageImage(item) {
    const figure = document.getElementById("page-figure");
    if (!showPage || !showPage.checked || !item || !item.citation.page) {
      if (figure) figure.hidden = true;
      return;
    }
    const page = item.citation.page;
    const image = document.getElementById("page-image");
    const source = "/api/documents/" + docId + "/pages/" + page;
    if (image.getAttribute("src") !== source) image.src = source;
    document.getElementById("page-caption").textContent = "原件第 " + page + " 页";
    figure.hidden = false;
  }

  function offsetAt(node, offset) {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const block = element && element.closest(".blk");
    if (!block || !textPane.contains(block)) return null;
    const range = document.createRange();
    range.selectNodeContents(block);
    range.setEnd(node, offset);
    return Number(block.dataset.start) + range.toString().length;
  }

  function selectionOffsets() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0);
    if (!textPane.contains(range.commonAncestorContainer)) return null;
    const start = offsetAt(range.startContainer, range.startOffset);
    const end = offsetAt(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    return { start, end, text: selection.toString() };
  }

  // -- the items -----------------------------------------------------------------------------------

  function badge(text, kind) {
    return el("span", { class: "badge " + (kind || "") }, text);
  }

  function card(item, index) {
    const selected = item.id === selectedId;
    const meta = el(
      "div",
      { class: "item-meta" },
      el("span", { class: "index" }, "#" + (index + 1)),
      badge(data.kind_names[item.kind] || item.kind, "kind"),
      badge(item.category ? categoryNames[item.category] || item.category : "未分类", "category"),
      item.confidence !== null ? el("span", { class: "confidence" }, "置信度 " + item.confidence.toFixed(2)) : null,
      badge(data.status_names[item.status], "status status-" + item.status),
      ORIGIN_NAMES[item.origin] ? badge(ORIGIN_NAMES[item.origin], "origin") : null,
      item.citation.page ? el("span", { class: "page" }, "第 " + item.citation.page + " 页") : null,
    );
    const fields = el(
      "div",
      { class: "item-fields" },
      "责任单位：", item.responsible_unit || "—", "　完成时限：", item.deadline || "—",
    );
    const node = el(
      "li",
      {
        id: "item-" + item.id,
        class: "item" + (selected ? " selected" : "") + " status-" + item.status,
        "data-id": item.id,
        "aria-selected": selected ? "true" : "false",
      },
      meta,
      el("p", { class: "item-text" }, item.text),
      fields,
    );
    node.addEventListener("click", (event) => {
      if (event.target.closest("button, input, textarea, select, label, details")) return;
      select(item.id);
    });
    if (selected) node.append(detail(item));
    return node;
  }

  function detail(item) {
    const box = el("div", { class: "item-detail" });
    if (data.can_review) {
      box.append(
        el(
          "div",
          { class: "buttons" },
          el("button", { type: "button", class: "accept", onclick: () => setStatus("accept") }, "采纳 (a)"),
          el("button", { type: "button", class: "reject", onclick: () => setStatus("reject") }, "驳回 (r)"),
          el("button", { type: "button", onclick: undo }, "撤销上一步 (u)"),
        ),
      );
      const scores = Object.fromEntries((item.categories || []).map((c) => [c.key, c.score]));
      const chips = el("div", { class: "categories", role: "group", "aria-label": "问题类别" });
      data.taxonomy.forEach((c, i) => {
        const score = scores[c.key];
        chips.append(
          el(
            "button",
            {
              type: "button",
              class: "chip" + (item.category === c.key ? " active" : ""),
              "data-category": c.key,
              onclick: () => save({ category: c.key }),
            },
            el("kbd", {}, String(i + 1)),
            " " + c.name,
            score !== undefined ? el("span", { class: "score" }, " " + score.toFixed(2)) : null,
          ),
        );
      });
      box.append(chips, editForm(item), splitForm(item), mergeForm(item));
    }
    box.append(historyBox(item));
    return box;
  }

  function editForm(item) {
    const text = el("textarea", { name: "text", rows: 4 });
    text.value = item.text;
    const unit = el("input", { name: "responsible_unit", value: item.responsible_unit || "" });
    const deadline = el("input", { name: "deadline", value: item.deadline || "", placeholder: "如 2026-06-30 或 长期坚持" });
    const kind = el("select", { name: "kind" });
    for (const [key, name] of Object.entries(data.kind_names)) {
      kind.append(el("option", { value: key, selected: key === item.kind }, name));
    }
    const form = el(
      "form",
      { class: "edit-form" },
      el("label", {}, "内容", text),
      el("div", { class: "row" }, el("label", {}, "责任单位", unit), el("label", {}, "完成时限", deadline), el("label", {}, "类型", kind)),
      el("button", { type: "submit", class: "primary" }, "保存修改"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const changes = {};
      const was = { text: item.text, responsible_unit: item.responsible_unit || "", deadline: item.deadline || "", kind: item.kind };
      for (const field of ["text", "responsible_unit", "deadline", "kind"]) {
        const value = form.elements[field].value.trim();
        if (value !== was[field]) changes[field] = value === "" ? null : value;
      }
      if (Object.keys(changes).length === 0) {
        say("没有需要保存的修改。");
        return;
      }
      save(changes);
    });
    return form;
  }

  function splitForm(item) {
    const quote = el("textarea", { rows: 3, readonly: true, "aria-label": "原文引用，在要拆开的位置点击" });
    quote.value = item.citation.quote;
    return el(
      "details",
      { class: "split" },
      el("summary", {}, "拆分为两项"),
      el("p", { class: "small muted" }, "在下面的原文引用中，把光标放在第二项开始的位置，然后点击“在光标处拆分”。"),
      quote,
      el("button", { type: "button", onclick: () => split(item, quote.selectionStart) }, "在光标处拆分"),
    );
  }

  function mergeForm(item) {
    const others = items.filter((i) => i.id !== item.id);
    if (others.length === 0) return null;
    const choice = el("select", { "aria-label": "与哪一项合并" });
    for (const other of others) {
      const index = items.indexOf(other) + 1;
      choice.append(el("option", { value: other.id }, "#" + index + " " + other.text.slice(0, 30)));
    }
    const position = items.indexOf(item);
    if (items[position + 1]) choice.value = items[position + 1].id;
    return el(
      "details",
      { class: "merge" },
      el("summary", {}, "与另一项合并"),
      choice,
      el("button", { type: "button", onclick: () => merge(item, choice.value) }, "合并"),
    );
  }

  function historyBox(item) {
    const box = el("details", { class: "history", open: true }, el("summary", {}, "修改记录"));
    const entries = el("ul", { class: "history-list" }, el("li", { class: "muted" }, "加载中…"));
    box.append(entries);
    call("GET", "/api/items/" + encodeURIComponent(item.id) + "/history").then(
      (history) => {
        entries.replaceChildren();
        if (history.length === 0) entries.append(el("li", { class: "muted" }, "尚无修改。"));
        for (const h of history) {
          const when = new Date(h.at).toLocaleString("zh-CN", { hour12: false });
          const change = ["split", "merge", "add", "undo"].includes(h.field)
            ? FIELD_NAMES[h.field] + (h.before ? "（" + h.before + "）" : "")
            : (FIELD_NAMES[h.field] || h.field) + "：" + valueText(h.field, h.before) + " → " + valueText(h.field, h.after);
          entries.append(el("li", { class: h.undone ? "undone" : "" }, when + " " + h.user + " " + change + (h.undone ? "（已撤销）" : "")));
        }
      },
      (error) => entries.replaceChildren(el("li", { class: "error" }, error.message)),
    );
    return box;
  }

  function render() {
    list.replaceChildren(...items.map(card));
    document.getElementById("item-count").textContent = String(items.length);
  }

  function select(id) {
    const item = items.find((i) => i.id === id);
    if (!item) return;
    selectedId = id;
    render();
    highlight(item);
    const node = document.getElementById("item-" + id);
    if (node) scrollWithin(list.closest(".items-pane"), node, false);
    history.replaceState(null, "", "#item-" + id);
  }

  function move(step) {
    if (items.length === 0) return;
    const index = items.findIndex((i) => i.id === selectedId);
    const next = Math.min(items.length - 1, Math.max(0, index + step));
    select(items[index < 0 ? 0 : next].id);
  }

  function replace(updated) {
    items = items.map((i) => (i.id === updated.id ? updated : i));
    render();
    highlight(updated);
  }

  async function reload(selectId) {
    items = await call("GET", "/api/documents/" + docId + "/items");
    if (selectId && items.some((i) => i.id === selectId)) select(selectId);
    else if (items.some((i) => i.id === selectedId)) select(selectedId);
    else if (items.length) select(items[0].id);
    else render();
  }

  // -- changes -------------------------------------------------------------------------------------

  function failed(error, mine, item, retry) {
    if (error.status === 409 && error.payload && error.payload.current) {
      showConflict(mine, error.payload.current, retry);
    } else {
      say(error.message, "error");
    }
  }

  async function save(changes) {
    const item = current();
    if (!item) return;
    const send = (version) => call("PATCH", "/api/items/" + encodeURIComponent(item.id), { ...changes, version });
    try {
      replace(await send(item.version));
      say("已保存：" + Object.keys(changes).map((f) => FIELD_NAMES[f]).join("、"));
    } catch (error) {
      failed(error, changes, item, send);
    }
  }

  async function setStatus(verb) {
    const item = current();
    if (!item) return;
    const send = (version) => call("POST", "/api/items/" + encodeURIComponent(item.id) + "/" + verb, { version });
    try {
      replace(await send(item.version));
      say(verb === "accept" ? "已采纳。" : "已驳回。");
      move(1);
    } catch (error) {
      failed(error, { status: verb === "accept" ? "accepted" : "rejected" }, item, send);
    }
  }

  async function undo() {
    try {
      const result = await call("POST", "/api/undo");
      await reload(result.items.length ? result.items[0].id : null);
      say("已撤销：" + result.fields.map((f) => FIELD_NAMES[f] || f).join("、"));
    } catch (error) {
      say(error.message, "error");
    }
  }

  async function split(item, offset) {
    try {
      const parts = await call("POST", "/api/items/" + encodeURIComponent(item.id) + "/split", { offset, version: item.version });
      await reload(parts[0].id);
      say("已拆分为两项。");
    } catch (error) {
      failed(error, { text: item.text }, item, null);
    }
  }

  async function merge(item, otherId) {
    const other = items.find((i) => i.id === otherId);
    try {
      const merged = await call("POST", "/api/items/merge", {
        items: [item.id, otherId],
        versions: [item.version, other ? other.version : null],
      });
      await reload(merged.id);
      say("已合并为一项。");
    } catch (error) {
      say(error.message, "error");
    }
  }

  async function addSelected() {
    if (!pendingSelection) return;
    const kind = document.getElementById("add-kind").value;
    try {
      const added = await call("POST", "/api/documents/" + docId + "/items", {
        char_start: pendingSelection.start,
        char_end: pendingSelection.end,
        kind,
      });
      window.getSelection().removeAllRanges();
      hideAddBar();
      await reload(added.id);
      say("已添加遗漏事项。");
    } catch (error) {
      say(error.message, "error");
    }
  }

  function hideAddBar() {
    pendingSelection = null;
    document.getElementById("add-bar").hidden = true;
  }

  // -- conflicts -----------------------------------------------------------------------------------

  function showConflict(mine, theirs, retry) {
    const dialog = document.getElementById("conflict");
    const mineList = document.getElementById("conflict-mine");
    const theirsList = document.getElementById("conflict-theirs");
    mineList.replaceChildren();
    theirsList.replaceChildren();
    const fields = Array.from(new Set([...Object.keys(mine), "text", "category", "status"]));
    for (const field of fields) {
      const yours = field in mine ? mine[field] : current() ? current()[field] : null;
      mineList.append(el("dt", {}, FIELD_NAMES[field]), el("dd", {}, valueText(field, yours)));
      theirsList.append(el("dt", {}, FIELD_NAMES[field]), el("dd", {}, valueText(field, theirs[field])));
    }
    const keep = document.getElementById("conflict-keep-mine");
    keep.hidden = !retry;
    keep.onclick = async () => {
      dialog.close();
      try {
        replace(await retry(theirs.version));
        say("已用您的修改覆盖。");
      } catch (error) {
        failed(error, mine, theirs, retry);
      }
    };
    document.getElementById("conflict-take-theirs").onclick = () => {
      dialog.close();
      replace(theirs);
      say("已采用当前版本。");
    };
    dialog.showModal();
  }

  // -- events --------------------------------------------------------------------------------------

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (document.getElementById("conflict").open) return;
    const key = event.key;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (!data.can_review) return;
    else if (key === "a") setStatus("accept");
    else if (key === "r") setStatus("reject");
    else if (key === "u") undo();
    else if (/^[1-9]$/.test(key) && data.taxonomy[Number(key) - 1]) save({ category: data.taxonomy[Number(key) - 1].key });
    else return;
    event.preventDefault();
  });

  if (data.can_review) {
    textPane.addEventListener("mouseup", () => {
      const found = selectionOffsets();
      if (!found || !found.text.trim()) {
        hideAddBar();
        return;
      }
      pendingSelection = found;
      const preview = found.text.replace(/\s+/g, " ").trim();
      document.getElementById("add-preview").textContent = "已选中：" + (preview.length > 40 ? preview.slice(0, 40) + "…" : preview);
      document.getElementById("add-bar").hidden = false;
    });
    document.getElementById("add-item").addEventListener("click", addSelected);
  }
  if (showPage) showPage.addEventListener("change", () => current() && highlight(current()));
  document.getElementById("page-image")?.addEventListener("load", () => current() && highlight(current()));

  const wanted = location.hash.startsWith("#item-") ? decodeURIComponent(location.hash.slice(6)) : null;
  if (items.some((i) => i.id === wanted)) select(wanted);
  else if (items.length) select(items[0].id);
  else render();
})();
