import { createServer, type Server, type Socket } from "node:net";

/**
 * A Bolt server on 127.0.0.1 for neo4j-driver to talk to, in the spirit of the replay servers for
 * Proxmox and EC2: it speaks the wire protocol the driver uses (handshake, chunked PackStream
 * messages, Bolt 5.4: HELLO, LOGON, BEGIN, RUN, PULL, DISCARD, COMMIT, ROLLBACK, RESET, GOODBYE),
 * written here from the Bolt and PackStream specifications, and hands every query to the test's
 * `answer`, which checks it and says what Neo4j would reply. Protocol mistakes, unexpected
 * messages and wrong credentials are recorded in `violations`, which every test asserts empty.
 * Integers arrive as `bigint` and floats as `number`, so a test sees which one the driver sent.
 */

export class Struct {
  constructor(
    readonly signature: number,
    readonly fields: unknown[],
  ) {}
}

// --- PackStream ----------------------------------------------------------------------------

export function pack(value: unknown, out: number[] = []): number[] {
  const u8 = (n: number) => out.push(n & 0xff);
  const be = (bytes: number, n: bigint) => {
    for (let i = bytes - 1; i >= 0; i--) out.push(Number((n >> BigInt(i * 8)) & 0xffn));
  };
  const size = (n: number, tiny: number, m8: number, m16: number, m32: number) => {
    if (n < 16 && tiny >= 0) u8(tiny + n);
    else if (n < 0x100 && m8 >= 0) {
      u8(m8);
      u8(n);
    } else if (n < 0x10000) {
      u8(m16);
      be(2, BigInt(n));
    } else {
      u8(m32);
      be(4, BigInt(n));
    }
  };
  if (value === null || value === undefined) u8(0xc0);
  else if (value === true) u8(0xc3);
  else if (value === false) u8(0xc2);
  else if (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) {
    const n = BigInt(value);
    const bytes = n >= -16n && n <= 127n ? 0 : n >= -128n && n <= 127n ? 1 : n >= -32768n && n <= 32767n ? 2 : n >= -2147483648n && n <= 2147483647n ? 4 : 8;
    if (bytes === 0) u8(Number(n));
    else {
      u8({ 1: 0xc8, 2: 0xc9, 4: 0xca, 8: 0xcb }[bytes]!);
      be(bytes, BigInt.asUintN(bytes * 8, n));
    }
  } else if (typeof value === "number") {
    u8(0xc1);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    out.push(...b);
  } else if (typeof value === "string") {
    const b = Buffer.from(value, "utf8");
    size(b.length, 0x80, 0xd0, 0xd1, 0xd2);
    out.push(...b);
  } else if (Array.isArray(value)) {
    size(value.length, 0x90, 0xd4, 0xd5, 0xd6);
    for (const v of value) pack(v, out);
  } else if (value instanceof Struct) {
    u8(0xb0 + value.fields.length);
    u8(value.signature);
    for (const f of value.fields) pack(f, out);
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    size(entries.length, 0xa0, 0xd8, 0xd9, 0xda);
    for (const [k, v] of entries) {
      pack(k, out);
      pack(v, out);
    }
  } else throw new Error(`cannot pack ${typeof value}`);
  return out;
}

export function unpack(buf: Buffer, at = { pos: 0 }): unknown {
  const m = buf[at.pos++]!;
  const uint = (bytes: number): number => {
    const v = buf.readUIntBE(at.pos, bytes);
    at.pos += bytes;
    return v;
  };
  const str = (n: number) => {
    const s = buf.toString("utf8", at.pos, at.pos + n);
    at.pos += n;
    return s;
  };
  const list = (n: number) => Array.from({ length: n }, () => unpack(buf, at));
  const map = (n: number) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = unpack(buf, at) as string;
      o[k] = unpack(buf, at);
    }
    return o;
  };
  if (m <= 0x7f) return BigInt(m);
  if (m >= 0xf0) return BigInt(m - 0x100);
  if (m >= 0x80 && m <= 0x8f) return str(m - 0x80);
  if (m >= 0x90 && m <= 0x9f) return list(m - 0x90);
  if (m >= 0xa0 && m <= 0xaf) return map(m - 0xa0);
  if (m >= 0xb0 && m <= 0xbf) {
    const sig = buf[at.pos++]!;
    return new Struct(sig, list(m - 0xb0));
  }
  switch (m) {
    case 0xc0:
      return null;
    case 0xc1: {
      const v = buf.readDoubleBE(at.pos);
      at.pos += 8;
      return v;
    }
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc8: {
      const v = buf.readInt8(at.pos);
      at.pos += 1;
      return BigInt(v);
    }
    case 0xc9: {
      const v = buf.readInt16BE(at.pos);
      at.pos += 2;
      return BigInt(v);
    }
    case 0xca: {
      const v = buf.readInt32BE(at.pos);
      at.pos += 4;
      return BigInt(v);
    }
    case 0xcb: {
      const v = buf.readBigInt64BE(at.pos);
      at.pos += 8;
      return v;
    }
    case 0xcc:
    case 0xcd:
    case 0xce: {
      const n = uint(m === 0xcc ? 1 : m === 0xcd ? 2 : 4);
      const b = buf.subarray(at.pos, at.pos + n);
      at.pos += n;
      return Buffer.from(b);
    }
    case 0xd0:
      return str(uint(1));
    case 0xd1:
      return str(uint(2));
    case 0xd2:
      return str(uint(4));
    case 0xd4:
      return list(uint(1));
    case 0xd5:
      return list(uint(2));
    case 0xd6:
      return list(uint(4));
    case 0xd8:
      return map(uint(1));
    case 0xd9:
      return map(uint(2));
    case 0xda:
      return map(uint(4));
    default:
      throw new Error(`PackStream marker 0x${m.toString(16)} is not defined`);
  }
}

// --- The server ----------------------------------------------------------------------------

const MSG = {
  HELLO: 0x01,
  GOODBYE: 0x02,
  RESET: 0x0f,
  RUN: 0x10,
  BEGIN: 0x11,
  COMMIT: 0x12,
  ROLLBACK: 0x13,
  DISCARD: 0x2f,
  PULL: 0x3f,
  TELEMETRY: 0x54,
  LOGON: 0x6a,
  LOGOFF: 0x6b,
  SUCCESS: 0x70,
  RECORD: 0x71,
  IGNORED: 0x7e,
  FAILURE: 0x7f,
} as const;

export interface BoltQuery {
  query: string;
  params: Record<string, unknown>;
  /** The transaction it ran in: its access mode ("r" for read, "w" otherwise) and database. */
  mode: "r" | "w";
  db: string | undefined;
  explicit: boolean;
  connection: number;
}

export type BoltAnswer =
  | { fields: string[]; records?: unknown[][]; type?: "r" | "w" | "rw" | "s"; stats?: Record<string, number> }
  | { failure: { code: string; message: string } };

export interface BoltServerOptions {
  /** What LOGON must carry; anything else is refused as Neo4j does, and recorded as a violation unless `expectRefusal`. */
  auth: { principal: string; credentials: string };
  answer: (q: BoltQuery) => BoltAnswer;
  /** Called on BEGIN, COMMIT and ROLLBACK of explicit transactions (a test's model applies or drops its writes). */
  onTransaction?: (event: "begin" | "commit" | "rollback", connection: number) => void;
  expectRefusal?: boolean;
}

export interface BoltServer {
  url: string;
  queries: BoltQuery[];
  /** Every message the driver sent, by name, in order, per connection. */
  messages: { connection: number; name: string; fields: unknown[] }[];
  violations: string[];
  close(): Promise<void>;
}

const NAMES = Object.fromEntries(Object.entries(MSG).map(([k, v]) => [v, k])) as Record<number, string>;

export async function startBoltServer(options: BoltServerOptions): Promise<BoltServer> {
  const queries: BoltQuery[] = [];
  const messages: BoltServer["messages"] = [];
  const violations: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const id = ++connections;
    let buffer = Buffer.alloc(0);
    let shaken = false;
    let chunks: Buffer[] = [];
    let state: "new" | "hello" | "ready" | "tx" | "failed" | "closed" = "new";
    let tx: { mode: "r" | "w"; db: string | undefined } | undefined;
    let pending: { records: unknown[][]; summary: Record<string, unknown> } | undefined;

    const send = (signature: number, ...fields: unknown[]) => {
      const body = Buffer.from(pack(new Struct(signature, fields)));
      const parts: Buffer[] = [];
      for (let i = 0; i < body.length; i += 0xffff) {
        const piece = body.subarray(i, i + 0xffff);
        const head = Buffer.alloc(2);
        head.writeUInt16BE(piece.length);
        parts.push(head, piece);
      }
      parts.push(Buffer.from([0, 0]));
      socket.write(Buffer.concat(parts));
    };
    const violation = (text: string) => violations.push(`connection ${id}: ${text}`);
    const fail = (code: string, message: string) => {
      send(MSG.FAILURE, { code, message, neo4j_code: code });
      state = "failed";
      pending = undefined;
    };

    const handle = (msg: Struct) => {
      const name = NAMES[msg.signature] ?? `0x${msg.signature.toString(16)}`;
      messages.push({ connection: id, name, fields: msg.fields });
      if (msg.signature === MSG.GOODBYE) {
        state = "closed";
        socket.end();
        return;
      }
      if (msg.signature === MSG.RESET) {
        if (tx) options.onTransaction?.("rollback", id);
        tx = undefined;
        pending = undefined;
        state = state === "new" || state === "hello" ? state : "ready";
        send(MSG.SUCCESS, {});
        return;
      }
      if (state === "failed") {
        send(MSG.IGNORED);
        return;
      }
      switch (msg.signature) {
        case MSG.HELLO: {
          if (state !== "new") violation("HELLO twice");
          const extra = msg.fields[0] as Record<string, unknown>;
          if ("credentials" in extra) violation("HELLO carried credentials: Bolt 5.1+ sends them in LOGON");
          if (typeof extra.user_agent !== "string") violation("HELLO without a user_agent");
          state = "hello";
          send(MSG.SUCCESS, { server: "Neo4j/5.26.0", connection_id: `bolt-${id}`, hints: {} });
          return;
        }
        case MSG.LOGON: {
          if (state !== "hello") violation(`LOGON in state ${state}`);
          const auth = msg.fields[0] as Record<string, unknown>;
          if (auth.scheme !== "basic" || auth.principal !== options.auth.principal || auth.credentials !== options.auth.credentials) {
            if (!options.expectRefusal) violation(`LOGON with scheme ${String(auth.scheme)} and other credentials than expected`);
            fail("Neo.ClientError.Security.Unauthorized", "The client is unauthorized due to authentication failure.");
            return;
          }
          state = "ready";
          send(MSG.SUCCESS, {});
          return;
        }
        case MSG.TELEMETRY:
          send(MSG.SUCCESS, {});
          return;
        case MSG.BEGIN: {
          if (state !== "ready") violation(`BEGIN in state ${state}`);
          const extra = (msg.fields[0] ?? {}) as Record<string, unknown>;
          tx = { mode: extra.mode === "r" ? "r" : "w", db: typeof extra.db === "string" ? extra.db : undefined };
          state = "tx";
          options.onTransaction?.("begin", id);
          send(MSG.SUCCESS, {});
          return;
        }
        case MSG.RUN: {
          if (state !== "tx" && state !== "ready") violation(`RUN in state ${state}`);
          if (pending) violation("RUN before the previous result was pulled");
          const [query, params, extra] = msg.fields as [string, Record<string, unknown>, Record<string, unknown> | undefined];
          const explicit = state === "tx";
          const q: BoltQuery = {
            query,
            params,
            mode: explicit ? tx!.mode : extra?.mode === "r" ? "r" : "w",
            db: explicit ? tx!.db : (extra?.db as string | undefined),
            explicit,
            connection: id,
          };
          queries.push(q);
          let a: BoltAnswer;
          try {
            a = options.answer(q);
          } catch (error) {
            violation(`unexpected query: ${(error as Error).message}`);
            fail("Neo.ClientError.Statement.SyntaxError", "the test server did not expect this query");
            return;
          }
          if ("failure" in a) {
            fail(a.failure.code, a.failure.message);
            return;
          }
          pending = {
            records: a.records ?? [],
            summary: { has_more: false, type: a.type ?? "r", t_last: 0n, db: q.db ?? "neo4j", ...(a.stats ? { stats: a.stats } : {}) },
          };
          send(MSG.SUCCESS, { fields: a.fields, t_first: 0n, ...(explicit ? { qid: 0n } : {}) });
          return;
        }
        case MSG.PULL:
        case MSG.DISCARD: {
          if (!pending) {
            violation(`${name} without a result`);
            send(MSG.SUCCESS, { has_more: false });
            return;
          }
          if (msg.signature === MSG.PULL) for (const r of pending.records) send(MSG.RECORD, r);
          send(MSG.SUCCESS, { ...pending.summary, ...(state === "ready" ? { bookmark: `FB:cmdb-test-${queries.length}` } : {}) });
          pending = undefined;
          return;
        }
        case MSG.COMMIT:
        case MSG.ROLLBACK: {
          if (state !== "tx") violation(`${name} outside a transaction`);
          if (pending) violation(`${name} before the result was pulled`);
          options.onTransaction?.(msg.signature === MSG.COMMIT ? "commit" : "rollback", id);
          tx = undefined;
          state = "ready";
          send(MSG.SUCCESS, msg.signature === MSG.COMMIT ? { bookmark: `FB:cmdb-test-${queries.length}` } : {});
          return;
        }
        default:
          violation(`unexpected message ${name}`);
          fail("Neo.ClientError.Request.Invalid", `message ${name} is not handled here`);
      }
    };

    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!shaken) {
        if (buffer.length < 20) return;
        if (buffer.readUInt32BE(0) !== 0x6060b017) {
          violation("no Bolt preamble");
          socket.destroy();
          return;
        }
        // Four proposals: [range][minor][major] each; choose 5.4 if one covers it.
        let ok = false;
        for (let i = 0; i < 4; i++) {
          const p = buffer.subarray(4 + i * 4, 8 + i * 4);
          const range = p[1]!;
          const minor = p[2]!;
          const major = p[3]!;
          if (major === 5 && minor >= 4 && minor - range <= 4) ok = true;
        }
        buffer = buffer.subarray(20);
        shaken = true;
        if (!ok) {
          violation("the driver proposed no Bolt version covering 5.4");
          socket.end(Buffer.from([0, 0, 0, 0]));
          return;
        }
        socket.write(Buffer.from([0, 0, 4, 5]));
      }
      while (buffer.length >= 2) {
        const n = buffer.readUInt16BE(0);
        if (buffer.length < 2 + n) return;
        const piece = buffer.subarray(2, 2 + n);
        buffer = buffer.subarray(2 + n);
        if (n === 0) {
          if (chunks.length === 0) continue; // a NOOP keep-alive
          const body = Buffer.concat(chunks);
          chunks = [];
          let msg: unknown;
          try {
            msg = unpack(body);
          } catch (error) {
            violation(`undecodable message: ${(error as Error).message}`);
            socket.destroy();
            return;
          }
          if (!(msg instanceof Struct)) {
            violation("a message that is not a structure");
            socket.destroy();
            return;
          }
          handle(msg);
        } else chunks.push(Buffer.from(piece));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `bolt://127.0.0.1:${port}`,
    queries,
    messages,
    violations,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
