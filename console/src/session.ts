/**
 * The API token the console signs in with. It is kept in sessionStorage: for this tab only, gone
 * when the tab closes, never in a cookie (so the admin API's bearer check is the only way in).
 */
const KEY = "tactflow.token";

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage blocked: the token lives as long as the page
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
