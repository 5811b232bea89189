/** Where CLI commands find the server and their tokens (cli/config.ts). */
import { describe, it } from "vitest";
import { DEFAULT_URL, findProject, parseDevVars, resolveToken, resolveUrl } from "../../cli/config.ts";

const files = (text: string | null) => (path: string) => {
  if (text === null || !path.endsWith(".dev.vars")) throw new Error("ENOENT");
  return text;
};

describe("cli/config", () => {
  it("reads wrangler's .dev.vars format", ({ expect }) => {
    expect(
      parseDevVars(
        `# comment\nADMIN_TOKEN=abc\nexport WEBHOOK_TOKEN = "q u o t e d"\nEVENTS_TOKEN='x=y'\n  # ADMIN_TOKEN=nope\nbroken line\n`,
      ),
    ).toEqual({
      ADMIN_TOKEN: "abc",
      WEBHOOK_TOKEN: "q u o t e d",
      EVENTS_TOKEN: "x=y",
    });
  });

  it("token: the flag, else TACTFLOW_<KIND>, else .dev.vars, else nothing", ({ expect }) => {
    const devVars = files("ADMIN_TOKEN=from-file\nWEBHOOK_TOKEN=hook-file\n");
    expect(resolveToken("ADMIN_TOKEN", "from-flag", { env: { TACTFLOW_ADMIN_TOKEN: "from-env" }, readFile: devVars, cwd: "/p" })).toBe(
      "from-flag",
    );
    expect(resolveToken("ADMIN_TOKEN", undefined, { env: { TACTFLOW_ADMIN_TOKEN: "from-env" }, readFile: devVars, cwd: "/p" })).toBe(
      "from-env",
    );
    expect(resolveToken("ADMIN_TOKEN", undefined, { env: {}, readFile: devVars, cwd: "/p" })).toBe("from-file");
    expect(resolveToken("WEBHOOK_TOKEN", undefined, { env: {}, readFile: devVars, cwd: "/p" })).toBe("hook-file");
    expect(resolveToken("EVENTS_TOKEN", undefined, { env: {}, readFile: devVars, cwd: "/p" })).toBeUndefined();
    expect(resolveToken("ADMIN_TOKEN", undefined, { env: {}, readFile: files(null), cwd: "/p" })).toBeUndefined();
  });

  it("url: the flag, else TACTFLOW_URL, else the npm start default; no trailing slash", ({ expect }) => {
    expect(resolveUrl("http://h:1/", { env: { TACTFLOW_URL: "http://e" } })).toBe("http://h:1");
    expect(resolveUrl(undefined, { env: { TACTFLOW_URL: "http://e//" } })).toBe("http://e");
    expect(resolveUrl(undefined, { env: {}, readFile: files(null), cwd: "/p" })).toBe(DEFAULT_URL);
  });

  it("url: the address npm start last served on, recorded beside .dev.vars, before the default", ({ expect }) => {
    const project = (path: string) => {
      if (path === "/p/.dev.vars") return "ADMIN_TOKEN=a\n";
      if (path === "/p/.wrangler/tactflow-dev.json") return JSON.stringify({ url: "http://127.0.0.1:9100" });
      throw new Error("ENOENT");
    };
    expect(resolveUrl(undefined, { env: {}, readFile: project, cwd: "/p/flows/demo" })).toBe("http://127.0.0.1:9100");
    expect(resolveUrl(undefined, { env: { TACTFLOW_URL: "http://e" }, readFile: project, cwd: "/p" })).toBe("http://e");
  });

  it(".dev.vars is found from any folder below the project", ({ expect }) => {
    const project = (path: string) => {
      if (path === "/p/.dev.vars") return "ADMIN_TOKEN=up-there\n";
      throw new Error("ENOENT");
    };
    expect(resolveToken("ADMIN_TOKEN", undefined, { env: {}, readFile: project, cwd: "/p/flows/demo" })).toBe("up-there");
    expect(findProject({ readFile: project, cwd: "/p/a/b/c" })).toBe("/p");
    expect(findProject({ readFile: project, cwd: "/elsewhere" })).toBeUndefined();
  });
});
