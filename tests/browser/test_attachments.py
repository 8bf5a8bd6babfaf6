"""Story: a customer sent a screenshot, a screen recording and a PDF; alice sees the image, plays
the video (it can seek: the preview answers Range requests) and reads the PDF on the ticket page
without downloading anything. An SVG is offered as a download only."""

from __future__ import annotations

import base64
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import Browse, Server, new_ticket, uid

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss.push(1)"><circle r="4"/></svg>'

# Records a second of a canvas animation with MediaRecorder: a real WebM screen recording.
RECORD_WEBM = """async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 160; canvas.height = 120;
  const ctx = canvas.getContext("2d");
  const stream = canvas.captureStream(25);
  const rec = new MediaRecorder(stream, {mimeType: "video/webm"});
  const chunks = [];
  rec.ondataavailable = (e) => chunks.push(e.data);
  let frame = 0;
  const timer = setInterval(() => { ctx.fillStyle = frame++ % 2 ? "#c00" : "#00c"; ctx.fillRect(0, 0, 160, 120); }, 40);
  rec.start(100);
  await new Promise((r) => setTimeout(r, 1200));
  rec.stop();
  await new Promise((r) => (rec.onstop = r));
  clearInterval(timer);
  const buf = new Uint8Array(await new Blob(chunks, {type: "video/webm"}).arrayBuffer());
  let s = ""; for (const b of buf) s += String.fromCharCode(b);
  return btoa(s);
}"""


def make_pdf() -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
    ]
    stream = b"0 0 1 rg 20 20 100 100 re f"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_alice_sees_the_screenshot_plays_the_recording_and_reads_the_pdf(
    browse: Browse, server: Server
) -> None:
    recorder_page = browse.page()
    recorder_page.goto("/login/")
    webm = base64.b64decode(recorder_page.evaluate(RECORD_WEBM))
    assert webm[:4] == b"\x1a\x45\xdf\xa3", "MediaRecorder did not produce WebM"

    word = uid("media")
    api = server.api("admin")
    t = new_ticket(server, f"My screen recording {word}")
    api.post(
        f"/tickets/{t['id']}/replies",
        {
            "body": "Files from the customer",
            "attachments": [
                api.attachment("screenshot.png", PNG),
                api.attachment("recording.webm", webm),
                api.attachment("invoice.pdf", make_pdf()),
                api.attachment("drawing.svg", SVG),
            ],
        },
    )
    page = browse.page("alice", xss_trap=True)
    page.goto(f"/tickets/{t['number']}/")

    img = page.locator("#timeline img.attachment-thumb")
    expect(img).to_have_count(1)
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())

    video = page.locator("#timeline video")
    expect(video).to_have_count(1)
    video.scroll_into_view_if_needed()
    page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle(), timeout=15_000)
    assert video.evaluate("v => !v.error")
    # Seeking needs Range support: the preview answers 206 Partial Content.
    src = video.evaluate("v => v.currentSrc")
    req = urllib.request.Request(src, headers={"Range": "bytes=0-99", "Cookie": cookie_header(page)})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"].startswith("bytes 0-99/")
        assert len(resp.read()) == 100

    pdf = page.locator("#timeline iframe.attachment-pdf")
    expect(pdf).to_have_count(1)
    pdf_src = pdf.get_attribute("src")
    assert pdf_src
    with page.expect_response(lambda r: r.url.endswith(pdf_src)) as info:
        pdf.evaluate("f => { f.loading = 'eager'; f.src = f.src; }")
    response = info.value
    assert response.status == 200
    # The browser's own headers object can be the provisional one for a frame that the PDF
    # viewer takes over (no content-type in it, seen in CI), so the served headers are read
    # from the server directly, with alice's cookies.
    pdf_url = response.url
    req = urllib.request.Request(pdf_url, headers={"Cookie": cookie_header(page)})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/pdf")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.read().startswith(b"%PDF-")

    # The SVG is a download link, never drawn inline.
    svg_item = page.locator("#timeline .attachment").filter(has_text="drawing.svg")
    expect(svg_item.locator("img, iframe, object, embed")).to_have_count(0)
    expect(svg_item.locator("a.attachment-download")).to_have_attribute("download", "")
    assert page.evaluate("() => window.__xss.length") == 0


def cookie_header(page) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())


PASTE_IMAGE = """([b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const file = new File([bytes], "image.png", {type: "image/png"});
  const dt = new DataTransfer();
  dt.items.add(file);
  const area = document.querySelector("#composer-body");
  area.focus();
  area.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
}"""


def test_an_image_pasted_into_the_composer_is_attached(browse: Browse, server: Server) -> None:
    word = uid("paste")
    t = new_ticket(server, f"Paste a screenshot {word}")
    page = browse.page("alice")
    page.goto(f"/tickets/{t['number']}/")
    page.locator("label.mode-option-note").click()
    page.locator("#composer-body").fill(f"See the screenshot {word}")
    page.evaluate(PASTE_IMAGE, [base64.b64encode(PNG).decode()])
    expect(page.locator("[data-composer-previews] li")).to_have_count(1)
    assert page.locator("#composer-files").evaluate("i => i.files.length") == 1
    page.locator("#composer-send").click()
    note = page.locator("#timeline .message-note").filter(has_text=word)
    expect(note.locator("img.attachment-thumb")).to_have_count(1)
    detail = server.api("admin").get(f"/tickets/{t['id']}")
    files = [a for m in detail["timeline"] if m["type"] == "message" for a in m["message"]["attachments"]]
    assert len(files) == 1 and files[0]["content_type"] == "image/png"
