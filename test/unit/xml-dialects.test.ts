/**
 * Opentact documents its tags twice over (docs/opentact.md §b.6, f.1–f.7): two Gather dialects, text as an
 * attribute or as content, `say` or `play` on <Error>, <Schedule> or <Scheduler>, any letter
 * case. Every spelling reads to the same props; serialising keeps the author's spelling unless
 * asked to canonicalise.
 */
import { describe, expect, it } from "vitest";
import { checkFlow, elementChildren, serialize, type ElementNode, type ElementOf, type TagKind } from "../../src/xml/index.ts";

/** The first element of a kind in a document, anywhere in the tree. */
function first<K extends TagKind>(xml: string, kind: K): ElementOf<K> {
  const result = checkFlow(xml);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const stack: ElementNode[] = [result.document!.root];
  while (stack.length) {
    const el = stack.shift()!;
    if (el.kind === kind) return el as ElementOf<K>;
    stack.push(...elementChildren(el));
  }
  throw new Error(`no <${kind}> in ${xml}`);
}

const inResponse = (body: string) => `<Response>${body}</Response>`;

describe("<Gather>: both dialects read to one shape", () => {
  it("dialect A (numDigits, finishOnKey, timeout, attempts, callback, method)", () => {
    const g = first(
      inResponse(
        '<Gather numDigits="4" finishOnKey="#" timeout="8000" attempts="3" callback="https://x.example/a" method="post"><Say>PIN</Say></Gather>',
      ),
      "Gather",
    );
    expect(g.props).toEqual({
      dialect: "A",
      maxDigits: 4,
      finishKey: "#",
      timeoutMs: 8000,
      attempts: 3,
      remoteUrl: "https://x.example/a",
      method: "POST",
    });
  });

  it("dialect B (dtmf_length, dtmf_stop, url)", () => {
    const g = first(
      inResponse('<Gather dtmf_length="4" dtmf_stop="#" timeout="8000" url="https://x.example/a"><Say>PIN</Say></Gather>'),
      "Gather",
    );
    expect(g.props).toEqual({
      dialect: "B",
      maxDigits: 4,
      finishKey: "#",
      timeoutMs: 8000,
      attempts: 1,
      remoteUrl: "https://x.example/a",
      method: "GET",
    });
  });

  it.each([
    ["length", "url"],
    ["num_digits", "action"],
    ["NUMDIGITS", "URL"],
  ])("the other accepted spellings: %s and %s", (digits, remote) => {
    const g = first(inResponse(`<Gather ${digits}="2" ${remote}="https://x.example/b"><Say>Hi</Say></Gather>`), "Gather");
    expect(g.props).toMatchObject({ maxDigits: 2, remoteUrl: "https://x.example/b" });
  });

  it("finish_on_key is finishOnKey", () => {
    expect(first(inResponse('<Gather finish_on_key="5"><Say>Hi</Say></Gather>'), "Gather").props.finishKey).toBe("5");
  });

  it("defaults: one digit, one attempt, GET; the finish key is * in dialect A and # in dialect B (docs/opentact.md §f.3)", () => {
    const a = first(inResponse('<Gather><Switch><Case dtmf="1"><Hangup/></Case><Default><Hangup/></Default></Switch></Gather>'), "Gather");
    const b = first(inResponse('<Gather><DTMF value="1"><Hangup/></DTMF><Default><Hangup/></Default></Gather>'), "Gather");
    expect(a.props).toMatchObject({ dialect: "A", maxDigits: 1, attempts: 1, method: "GET", finishKey: "*" });
    expect(b.props).toMatchObject({ dialect: "B", maxDigits: 1, attempts: 1, method: "GET", finishKey: "#" });
  });

  it('<DTMF value="1"> ≡ <Case dtmf="1"> ≡ <Case value="1">', () => {
    expect(first(inResponse('<Gather><DTMF value="1"/><Default/></Gather>'), "DTMF").props).toEqual({ value: "1" });
    expect(first(inResponse('<Gather><Switch><Case dtmf="1"/><Default/></Switch></Gather>'), "Case").props).toEqual({ value: "1" });
    expect(first(inResponse('<Gather><Switch><Case value="1"/><Default/></Switch></Gather>'), "Case").props).toEqual({ value: "1" });
  });
});

describe("<Say>, <Play>, <Callback>: attribute or content (docs/opentact.md §f.5)", () => {
  it("Say text as content or as attribute is the same speech", () => {
    const content = first(inResponse("<Say>  Press 1 for sales  </Say>"), "Say");
    const attribute = first(inResponse('<Say text="Press 1 for sales"/>'), "Say");
    expect(content.props).toEqual(attribute.props);
    expect(content.props).toEqual({ text: "Press 1 for sales", lang: "en-US", voiceType: "Standard", gender: "FEMALE", loop: 1 });
  });

  it("when both differ the attribute is spoken, with a warning", () => {
    const result = checkFlow(inResponse('<Say text="attribute">content</Say>'));
    expect(result.diagnostics).toMatchObject([{ severity: "warning", code: "conflicting-spellings", attribute: "text" }]);
    const say = elementChildren(result.document!.root)[0]!;
    expect(say.kind === "Say" && say.props.text).toBe("attribute");
  });

  it("Play url as content or attribute; record plays a recording", () => {
    expect(first(inResponse("<Play>https://cdn.example/a.mp3</Play>"), "Play").props).toEqual({
      url: "https://cdn.example/a.mp3",
      loop: 1,
    });
    expect(first(inResponse('<Play url="https://cdn.example/a.mp3"/>'), "Play").props).toEqual({
      url: "https://cdn.example/a.mp3",
      loop: 1,
    });
    expect(first(inResponse('<Play record="voicemail" leg="aleg"/>'), "Play").props).toEqual({ record: "voicemail", loop: 1, leg: "aleg" });
  });

  it("Callback url as content or attribute, lowercase tag and method; GET by default", () => {
    const shorthand = first(inResponse("<callback>https://x.example/next</callback>"), "Callback");
    const full = first(inResponse('<Callback url="https://x.example/next" method="post" body="true"/>'), "Callback");
    expect(shorthand.props).toEqual({ url: "https://x.example/next", method: "GET", body: false, timeoutMs: 10000 });
    expect(full.props).toEqual({ url: "https://x.example/next", method: "POST", body: true, timeoutMs: 10000 });
  });
});

describe("other spellings", () => {
  it('<Error say="true"> ≡ <Error play="true"> (docs/opentact.md §f.6)', () => {
    expect(first(inResponse('<Dial><To>1</To><Error say="true"/></Dial>'), "Error").props).toEqual({ speak: true });
    expect(first(inResponse('<Dial><To>1</To><Error play="TRUE"/></Dial>'), "Error").props).toEqual({ speak: true });
    expect(first(inResponse("<Dial><To>1</To><Error/></Dial>"), "Error").props).toEqual({ speak: false });
  });

  it("<Schedule> ≡ <Scheduler> (docs/opentact.md §f.12), with day ranges and minute-precision windows", () => {
    const a = first(inResponse('<Schedule dow="mon-fri" time="09:00:00-17:30:59"><Hangup/></Schedule>'), "Schedule");
    const b = first(inResponse('<Scheduler dow="Mon,Tue,Wed,Thu,Fri" time="09:00-17:30"><Hangup/></Scheduler>'), "Schedule");
    expect(a.props).toEqual(b.props);
    expect(a.props).toEqual({ days: [1, 2, 3, 4, 5], window: { start: 9 * 3600, end: 17 * 3600 + 30 * 60 + 59 } });
  });

  it("tag names are matched case-insensitively and keep their kind", () => {
    const doc = checkFlow("<response><SAY>Hi</SAY><pause/><HangUp/></response>").document!;
    expect(doc.root.kind).toBe("Response");
    expect(elementChildren(doc.root).map((c) => [c.name, c.kind])).toEqual([
      ["SAY", "Say"],
      ["pause", "Pause"],
      ["HangUp", "Hangup"],
    ]);
  });

  it("documented defaults: Pause 1000 ms, Hold 300000 ms, Answer no delay", () => {
    expect(first(inResponse("<Pause/>"), "Pause").props).toEqual({ lengthMs: 1000, stopKeys: "" });
    expect(first(inResponse("<Hold/>"), "Hold").props).toEqual({ timeoutMs: 300000 });
    expect(first(inResponse("<Answer/>"), "Answer").props).toEqual({ delayMs: 0 });
  });

  it("<Call value> is typed: numbers, booleans and null compare as such (docs/opentact.md §b.14)", () => {
    expect(first(inResponse('<Call field="from" value="15551230000"/>'), "Call").props).toEqual({ field: "from", value: 15551230000 });
    expect(first(inResponse('<Call field="x" value="null"/>'), "Call").props.value).toBeNull();
    expect(first(inResponse('<Call field="x" value="true"/>'), "Call").props.value).toBe(true);
    expect(first(inResponse('<Call field="x" value="+1555"/>'), "Call").props.value).toBe("+1555");
  });
});

describe("serialising keeps what the author wrote unless asked to canonicalise", () => {
  // Laid out the way the serialiser indents, so "unchanged" can be checked byte for byte.
  const written = [
    "<Response>",
    '  <callback method="post">https://x.example/next</callback>',
    '  <Scheduler dow="mon-fri">',
    '    <SAY gender="male">Open</SAY>',
    "  </Scheduler>",
    '  <Gather length="2" dtmf_stop="#">',
    '    <DTMF value="12"/>',
    "    <Default/>",
    "  </Gather>",
    '  <Gather numDigits="1" finish_on_key="*" action="https://x.example/g">',
    "    <Switch>",
    '      <Case value="1"/>',
    "      <Default/>",
    "    </Switch>",
    "  </Gather>",
    "  <Dial>",
    "    <To>1</To>",
    '    <Error play="true"/>',
    "  </Dial>",
    "</Response>",
    "",
  ].join("\n");
  const doc = checkFlow(written).document!;

  it("as written: tag names, attribute names, values and order unchanged", () => {
    expect(serialize(doc)).toBe(written);
  });

  it("canonical: documented tag names, each Gather in its own dialect's spelling, canonical enum case", () => {
    expect(serialize(doc, { canonical: true })).toBe(
      [
        "<Response>",
        '  <Callback method="POST">https://x.example/next</Callback>',
        '  <Schedule dow="mon-fri">',
        '    <Say gender="MALE">Open</Say>',
        "  </Schedule>",
        '  <Gather dtmf_length="2" dtmf_stop="#">',
        '    <DTMF value="12"/>',
        "    <Default/>",
        "  </Gather>",
        '  <Gather numDigits="1" finishOnKey="*" callback="https://x.example/g">',
        "    <Switch>",
        '      <Case dtmf="1"/>',
        "      <Default/>",
        "    </Switch>",
        "  </Gather>",
        "  <Dial>",
        "    <To>1</To>",
        '    <Error say="true"/>',
        "  </Dial>",
        "</Response>",
        "",
      ].join("\n"),
    );
  });

  it("a declaration is written when the source had one, or when asked", () => {
    expect(serialize(checkFlow('<?xml version="1.0"?><Response/>').document!)).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response/>\n',
    );
    expect(serialize(doc, { declaration: true, indent: "" }).startsWith('<?xml version="1.0" encoding="UTF-8"?><Response><callback')).toBe(
      true,
    );
  });
});
