/**
 * A large flow for the console's budgets and browser tests: a nine-way main menu whose every
 * branch is a four-way sub-menu with Dial fallbacks — about 300 elements, the size the console
 * promises to draw and check quickly.
 */

function submenu(n: number, indent: string): string {
  const cases = [1, 2, 3, 4]
    .map(
      (d) => `${indent}    <Case dtmf="${d}">
${indent}      <Say>Connecting you to team ${n}.${d}.</Say>
${indent}      <Dial>
${indent}        <To>sip:team${n}${d}@example.sip.opentact.org</To>
${indent}        <Error><Say>Team ${n}.${d} is busy.</Say></Error>
${indent}      </Dial>
${indent}    </Case>`,
    )
    .join("\n");
  return `${indent}<Gather numDigits="1" timeout="6000" attempts="2">
${indent}  <Say>Department ${n}: press 1 to 4 for a team.</Say>
${indent}  <Switch>
${cases}
${indent}    <Default><Say>That is not a team of department ${n}.</Say></Default>
${indent}    <Error><Say>We did not hear a choice.</Say></Error>
${indent}  </Switch>
${indent}</Gather>`;
}

export function largeConsoleFlow(): string {
  const cases = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    .map(
      (n) => `      <Case dtmf="${n}">
        <Say>Department ${n}.</Say>
${submenu(n, "        ")}
      </Case>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Welcome to the large menu.</Say>
  <Gather numDigits="1" timeout="8000" attempts="3">
    <Say>Choose a department from 1 to 9.</Say>
    <Switch>
${cases}
      <Default><Say>Sorry, that is not a department.</Say></Default>
      <Error><Say>Goodbye.</Say></Error>
    </Switch>
  </Gather>
  <Hangup/>
</Response>
`;
}

/** Elements in a flow (start tags and self-closing tags). */
export function countElements(xml: string): number {
  return (xml.match(/<[A-Za-z]/g) ?? []).length;
}
