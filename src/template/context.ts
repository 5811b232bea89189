/** What a render knows about the call it renders for. */
export interface RenderContext {
  /** Caller number (ANI) as received; `{{from}}`. */
  from: string;
  /** Dialled number (DNIS) as received; `{{to}}`. */
  to: string;
  /** The TN the call is for, as normalised digits (`18005550100`); `{{tn}}`. */
  tn: string;
  /** Call uuid, when the platform sent one; `{{call}}`. */
  call: string;
  /** SIP Control App uuid, when sent; `{{sca}}`. */
  sca: string;
  /** Render time: `{{now}}` and `<Schedule>` read it. */
  now: Date;
  /** Flow variables; `{{vars.NAME}}`. Normally the flow's declared variables. */
  vars: Record<string, string>;
  /** The flow's IANA zone for `<Schedule>` blocks without `tz`; UTC when absent. */
  timezone?: string;
  /** Digits of the last Gather; `{{digits}}`, empty when absent. */
  digits?: string;
  /** Digits collected per Gather node; `{{gather.NODE}}`, empty when absent. */
  gather?: Record<string, string>;
  /** Call state (`live`, …) when sent; `<Call field="state">`. */
  state?: string;
  /** The call entity from a POST body (docs/opentact.md §a.2), for `<Call field>` on any of its fields. */
  entity?: Record<string, unknown>;
}
