/**
 * The flows `bench:calls` and `bench:profile` load, so the profile looks at the same work the
 * benchmark measures: a menu Gather the call's object decides, and the same document as a flow
 * the webhook answers alone (a url Gather is the author's own remote step).
 */

export const ADMIN = "bench-admin-token";
export const HOOK = "bench-webhook-token";
/** The menu decided by the call's object. */
export const MENU_TN = "18005550170";
/** The same menu, answered by the webhook alone. */
export const PLAIN_TN = "18005550171";

/**
 * The most attempts a Gather may have (src/xml/tags.ts): a call takes a fresh wrong key per
 * request, each a real decision ("prompts replay"), until its last attempt is near; then the
 * connection moves on to a newly started call.
 */
export const MENU_ATTEMPTS = 100;

const menu = (gatherAttrs: string, branches: string) => `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Thanks for calling {{vars.company}}.</Say>
  <Gather numDigits="1" timeout="5000" tag="menu" ${gatherAttrs}>
    <Say>Press 1 for sales, 2 for support, 3 for billing.</Say>
    ${branches}
  </Gather>
  <Say>Goodbye from {{vars.company}}.</Say>
  <Hangup/>
</Response>`;
const BRANCHES = `<DTMF value="1"><Say>Sales.</Say></DTMF><DTMF value="2"><Say>Support.</Say></DTMF><DTMF value="3"><Say>Billing.</Say></DTMF><Default><Say>Sorry.</Say></Default>`;

export const MENU_XML = menu(`attempts="${MENU_ATTEMPTS}"`, BRANCHES);
export const PLAIN_XML = menu('url="https://example.com/menu"', "");
