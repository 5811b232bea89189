/** The shape of an event frame, apart from the stream client so pure modules (and Node tests) can use it. */

/** An event frame as the streams send it: the call event, with `hub_seq` on the hub. */
export interface StreamEvent {
  type: string;
  seq: number;
  hub_seq?: number;
  call_uuid: string;
  created_on?: string;
  timestamp?: string;
  message?: string;
  success?: boolean;
  command?: string;
  tag?: string;
  payload?: Record<string, unknown>;
  call?: Record<string, unknown>;
}
