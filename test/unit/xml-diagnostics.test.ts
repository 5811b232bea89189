/**
 * Each class of mistake a flow author can make is reported at the line and column where it
 * was made, naming the tag, the attribute and what would be allowed.
 */
import { describe, expect, it } from "vitest";
import { checkFlow, type Diagnostic } from "../../src/xml/index.ts";

/** A document from lines, so line numbers in the tests can be read off the array index + 1. */
function doc(...lines: string[]): string {
  return lines.join("\n");
}

function findings(xml: string): Diagnostic[] {
  return checkFlow(xml).diagnostics;
}

function only(xml: string): Diagnostic {
  const all = findings(xml);
  expect(all, JSON.stringify(all, null, 2)).toHaveLength(1);
  return all[0]!;
}

describe("not well-formed documents", () => {
  it("a closing tag that does not match is an error where the wrong closing tag stands", () => {
    const d = only(doc("<Response>", "  <Say>Hello", "</Response>"));
    expect(d).toMatchObject({ severity: "error", code: "not-well-formed", line: 3, col: 1 });
    expect(d.message).toContain("Say");
  });

  it("an unclosed root is reported at its start tag", () => {
    expect(only(doc("<Response>", "  <Hangup/>"))).toMatchObject({ code: "not-well-formed", line: 1, col: 1 });
  });

  it("a bare ampersand is an error at the ampersand", () => {
    const d = only(doc("<Response>", "  <Say>Tom & Jerry</Say>", "</Response>"));
    expect(d).toMatchObject({ code: "not-well-formed", line: 2, col: 12 });
    expect(d.message).toContain("&amp;");
  });

  it("an entity outside the five XML ones is an error at the reference", () => {
    const d = only(doc("<Response>", "  <Say>caf&eacute;</Say>", "</Response>"));
    expect(d).toMatchObject({ code: "not-well-formed", line: 2, col: 11 });
    expect(d.message).toContain("&eacute;");
  });

  it("a character XML forbids is an error where it stands, raw or as a reference", () => {
    expect(only(doc("<Response>", "  <Say>bell\u0007</Say>", "</Response>"))).toMatchObject({ code: "not-well-formed", line: 2, col: 12 });
    const ref = only(doc("<Response>", '  <Say text="&#0;"/>', "</Response>"));
    expect(ref).toMatchObject({ code: "not-well-formed", line: 2, col: 14 });
    expect(ref.message).toContain("U+0000");
  });

  it("a second root element is an error at its start tag", () => {
    const d = only(doc("<Response>", "  <Hangup/>", "</Response>", "<Response/>"));
    expect(d).toMatchObject({ code: "not-well-formed", line: 4, col: 1 });
    expect(d.message).toContain("exactly one root");
  });

  it("text after the root is an error where the text starts", () => {
    expect(only(doc("<Response/>", "", "  oops"))).toMatchObject({ code: "not-well-formed", line: 3, col: 3 });
  });

  it("a literal < in an attribute value is an error at the attribute", () => {
    const d = only(doc("<Response>", '  <Say text="1 < 2"/>', "</Response>"));
    expect(d).toMatchObject({ code: "not-well-formed", line: 2, col: 8, tag: "Say", attribute: "text" });
  });

  it("an empty document says what was expected", () => {
    expect(only("   \n")).toMatchObject({ code: "not-well-formed", line: 1, col: 1 });
    expect(only("   \n").message).toContain("<Response>");
  });

  it("a byte-order mark does not shift the columns of line 1", () => {
    expect(only('\uFEFF<Response><Pause length="x"/></Response>')).toMatchObject({ code: "bad-attribute", line: 1, col: 18 });
  });

  it("the three names the parser refuses (prototype-pollution guard) are errors at the name", () => {
    const d = only(doc("<Response>", '  <Say constructor="x">Hi</Say>', "</Response>"));
    expect(d).toMatchObject({ code: "not-well-formed", line: 2, col: 8 });
    expect(d.message).toContain('"constructor"');
  });

  it("other JavaScript property names are ordinary names", () => {
    const result = checkFlow('<Response><Say hasOwnProperty="1" toString="2">Hi</Say></Response>');
    expect(result.document!.root.children[0]).toMatchObject({ attrs: [{ name: "hasOwnProperty" }, { name: "toString" }] });
  });

  it("gives no tree, so nothing downstream runs a broken flow", () => {
    expect(checkFlow("<Response><Say>Hi</Response>").document).toBeNull();
  });
});

describe("DOCTYPE and entity declarations are refused (flows come from tenants)", () => {
  it("a DOCTYPE is an error at <!DOCTYPE", () => {
    const d = only(doc('<?xml version="1.0"?>', '<!DOCTYPE Response [<!ENTITY boom "x">]>', "<Response/>"));
    expect(d).toMatchObject({ severity: "error", code: "doctype-forbidden", line: 2, col: 1 });
  });

  it("an ENTITY declaration on its own is refused too", () => {
    expect(only(doc("<Response>", '<!ENTITY boom "x">', "</Response>"))).toMatchObject({ code: "doctype-forbidden", line: 2, col: 1 });
  });

  it("the words inside a comment are only words", () => {
    expect(findings(doc("<!-- no <!DOCTYPE here & no entity -->", "<Response/>"))).toEqual([]);
  });
});

describe("misplaced tags", () => {
  it("<Case> outside <Switch> is an error at <Case>, saying where it belongs", () => {
    const d = only(
      doc(
        "<Response>",
        "  <Gather>",
        '    <Case dtmf="1"><Hangup/></Case>',
        "    <Default><Hangup/></Default>",
        "  </Gather>",
        "</Response>",
      ),
    );
    expect(d).toMatchObject({ severity: "error", code: "misplaced-tag", line: 3, col: 5, tag: "Case" });
    expect(d.message).toContain("<Case> belongs inside <Switch>");
    expect(d.message).toContain("<Gather> holds");
  });

  it("<DTMF> outside <Gather> is an error at <DTMF>", () => {
    const d = only(doc("<Response>", "  <Say>Hi</Say>", '  <DTMF value="1"><Hangup/></DTMF>', "</Response>"));
    expect(d).toMatchObject({ code: "misplaced-tag", line: 3, col: 3, tag: "DTMF" });
    expect(d.message).toContain("<DTMF> belongs inside <Gather>");
  });

  it("a root other than <Response> is an error at the root, with a did-you-mean", () => {
    const d = only(doc("", "<Respons>", "  <Hangup/>", "</Respons>"));
    expect(d).toMatchObject({ code: "bad-root", line: 2, col: 1, tag: "Respons" });
    expect(d.message).toContain("must be <Response>");
    expect(d.message).toContain("did you mean <Response>?");
  });

  it("a command directly inside <Dial> is an error naming what <Dial> holds", () => {
    const d = only(
      doc("<Response>", "  <Dial>", "    <Say>Connecting</Say>", "    <To>sip:desk@example.org</To>", "  </Dial>", "</Response>"),
    );
    expect(d).toMatchObject({ code: "misplaced-tag", line: 3, col: 5 });
    expect(d.message).toContain("<Dial> holds <To>, <Sip>, <Number> and <Error>");
  });
});

describe("bad attribute values", () => {
  it("a length that is not a number of ms is an error at the attribute", () => {
    const d = only(doc("<Response>", '  <Pause length="5s"/>', "</Response>"));
    expect(d).toMatchObject({ severity: "error", code: "bad-attribute", line: 2, col: 10, tag: "Pause", attribute: "length" });
    expect(d.message).toBe('<Pause length="5s">: expected a whole number of milliseconds from 0 to 86400000 (a day), e.g. 5000');
  });

  it("an unknown enum value names the allowed values", () => {
    const d = only(doc("<Response>", '  <Say gender="X">Hi</Say>', "</Response>"));
    expect(d).toMatchObject({ code: "bad-attribute", line: 2, col: 8, tag: "Say", attribute: "gender" });
    expect(d.message).toBe('<Say gender="X">: expected one of MALE, FEMALE');
  });

  it("enum values are matched case-insensitively", () => {
    expect(findings('<Response><Say gender="male" type="wavenet">Hi</Say></Response>')).toEqual([]);
  });

  it("a bad time window is an error at time", () => {
    const d = only(doc("<Response>", '  <Schedule dow="mon-fri" time="9am-5pm"><Say>Open</Say></Schedule>', "</Response>"));
    expect(d).toMatchObject({ code: "bad-attribute", line: 2, col: 27, tag: "Schedule", attribute: "time" });
    expect(d.message).toContain("HH:MM:SS-HH:MM:SS");
  });

  it("an hour past 23 is a bad time window", () => {
    expect(only('<Response><Schedule time="09:00:00-24:00:00"/></Response>')).toMatchObject({ code: "bad-attribute", attribute: "time" });
  });

  it("an unknown day in dow is an error at dow, listing the days", () => {
    const d = only(doc("<Response>", '  <Scheduler dow="mon,funday"><Hangup/></Scheduler>', "</Response>"));
    expect(d).toMatchObject({ code: "bad-attribute", line: 2, col: 14, tag: "Scheduler", attribute: "dow" });
    expect(d.message).toContain("sun,mon,tue,wed,thu,fri,sat");
  });

  it("a value with a line break stays on one line in the message", () => {
    const d = only('<Response><Pause length="1&#10;2"/></Response>');
    expect(d.message).toContain('"1\\n2"');
    expect(d.message).not.toContain("\n");
  });

  it("values holding a template placeholder are left to render time", () => {
    expect(findings('<Response><Pause length="{{pause}}"/></Response>')).toEqual([]);
  });
});

describe("missing requirements", () => {
  it("<Play> with no url, text or record is an error at <Play>", () => {
    const d = only(doc("<Response>", '  <Play loop="2"/>', "</Response>"));
    expect(d).toMatchObject({ severity: "error", code: "missing-requirement", line: 2, col: 3, tag: "Play", attribute: "url" });
    expect(d.message).toContain("url");
    expect(d.message).toContain("record");
  });

  it("<Play record> needs no url", () => {
    expect(findings('<Response><Play record="vm1"/></Response>')).toEqual([]);
  });

  it("<Callback> with no url is an error at <Callback>", () => {
    const d = only(doc("<Response>", "  <Say>One moment</Say>", '  <Callback method="POST"/>', "</Response>"));
    expect(d).toMatchObject({ code: "missing-requirement", line: 3, col: 3, tag: "Callback", attribute: "url" });
    expect(d.message).toContain("url");
  });
});

describe("unknown tags", () => {
  it("are errors at the tag with a did-you-mean and the tags allowed there", () => {
    const d = only(doc("<Response>", "  <Gather>", "    <Sya>Press 1</Sya>", "  </Gather>", "</Response>"));
    expect(d).toMatchObject({ severity: "error", code: "unknown-tag", line: 3, col: 5, tag: "Sya" });
    expect(d.message).toContain("did you mean <Say>?");
    expect(d.message).toContain(
      "inside <Gather> the allowed tags are <Say>, <Play>, <Pause>, <Gather>, <DTMF>, <Switch>, <Default>, <Error>",
    );
  });

  it("far from any tag name get no suggestion", () => {
    expect(only("<Response><Banana/></Response>").message).not.toContain("did you mean");
  });

  it("Curl, Meta and Tone are kept and warned about, not refused", () => {
    const result = checkFlow(doc("<Response>", '  <Curl url="https://x.example"/>', "  <Meta/>", "  <tone/>", "</Response>"));
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((d) => [d.severity, d.code, d.line, d.col])).toEqual([
      ["warning", "unspecified-tag", 2, 3],
      ["warning", "unspecified-tag", 3, 3],
      ["warning", "unspecified-tag", 4, 3],
    ]);
  });
});

describe("content Opentact ignores is a warning", () => {
  it("a processing instruction inside the flow, at the instruction", () => {
    expect(only(doc("<Response>", "  <?tactflow keep?>", "  <Hangup/>", "</Response>"))).toMatchObject({
      severity: "warning",
      code: "ignored-content",
      line: 2,
      col: 3,
    });
  });

  it("text inside a tag that reads none, at the tag", () => {
    expect(only(doc("<Response>", "  <Hangup>now</Hangup>", "</Response>"))).toMatchObject({
      severity: "warning",
      code: "ignored-content",
      line: 2,
      col: 3,
      tag: "Hangup",
    });
  });
});

describe("suspicious constructs are warnings", () => {
  it("a branching Gather with neither Default nor Error", () => {
    const d = only(
      doc("<Response>", '  <Gather numDigits="1">', '    <Switch><Case dtmf="1"><Hangup/></Case></Switch>', "  </Gather>", "</Response>"),
    );
    expect(d).toMatchObject({ severity: "warning", code: "no-fallback-branch", line: 2, col: 3, tag: "Gather" });
  });

  it("an <Error> branch alone is fallback enough", () => {
    expect(findings('<Response><Gather><DTMF value="1"><Hangup/></DTMF><Error><Hangup/></Error></Gather></Response>')).toEqual([]);
  });

  it("duplicate Case values, at the repeat, whichever dialect spells them", () => {
    const d = only(
      doc(
        "<Response>",
        "  <Gather>",
        "    <Switch>",
        '      <Case dtmf="1"><Say>Sales</Say></Case>',
        '      <Case value="1"><Say>Support</Say></Case>',
        "      <Default><Hangup/></Default>",
        "    </Switch>",
        "  </Gather>",
        "</Response>",
      ),
    );
    expect(d).toMatchObject({ severity: "warning", code: "duplicate-branch", line: 5, col: 7, tag: "Case", attribute: "value" });
    expect(d.message).toContain("line 4");
  });

  it("attempts below 1, at the attribute", () => {
    const d = only(doc("<Response>", '  <Gather attempts="0">', "    <Say>Hi</Say>", "  </Gather>", "</Response>"));
    expect(d).toMatchObject({ severity: "warning", code: "bad-attribute", line: 2, col: 11, tag: "Gather", attribute: "attempts" });
    expect(d.message).toContain("≥ 1");
  });

  it("a Gather directly inside a Gather, which never runs there", () => {
    const d = only(
      doc(
        "<Response>",
        '  <Gather numDigits="1">',
        "    <Say>Outer</Say>",
        '    <Gather numDigits="4"><Say>Inner</Say></Gather>',
        "  </Gather>",
        "</Response>",
      ),
    );
    expect(d).toMatchObject({ severity: "warning", code: "unreachable-branch", line: 4, col: 5, tag: "Gather" });
    expect(d.message).toContain("<Case>, <DTMF> or <Default>");
  });

  it("warnings alone leave the flow ok", () => {
    expect(checkFlow('<Response><Gather attempts="0"><Say>Hi</Say></Gather></Response>').ok).toBe(true);
  });
});

describe("every message names the tag, the attribute and what is allowed", () => {
  const broken = doc(
    "<Response>",
    '  <Say gender="X" loop="many">Hi</Say>',
    '  <Pause length="long" dtmf_stop="x"/>',
    '  <Gather finishOnKey="##" method="PUT" numDigits="0"><Say>Hi</Say></Gather>',
    '  <Callback url="https://x.example" method="FETCH" body="yes"/>',
    '  <Geo states="ZZ"/>',
    '  <Schedule tz="Mars/Olympus"/>',
    '  <Answer delay="-1" volume="11"/>',
    "</Response>",
  );

  it("for every bad attribute in a document full of them", () => {
    const all = findings(broken);
    expect(all.map((d) => `${d.line}:${d.col} ${d.tag} ${d.attribute}`)).toEqual([
      "2:8 Say gender",
      "2:19 Say loop",
      "3:10 Pause length",
      "3:24 Pause dtmf_stop",
      "4:11 Gather finishOnKey",
      "4:28 Gather method",
      "4:41 Gather numDigits",
      "5:37 Callback method",
      "5:52 Callback body",
      "6:8 Geo states",
      "7:13 Schedule tz",
      "8:11 Answer delay",
      "8:22 Answer volume",
    ]);
    for (const d of all) {
      expect(d.message).toContain(`<${d.tag}`);
      expect(d.message).toContain(d.attribute!);
      expect(d.message).toMatch(/expected|allowed/);
    }
  });
});
