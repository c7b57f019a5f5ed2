import { describe, expect, it } from "vitest";
import { addressKey, clientIp } from "../../src/http/client-address";

describe("rate-limit address keys", () => {
  it("keeps IPv4 as is and counts IPv4-mapped IPv6 as IPv4", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:cb00:7107")).toBe("203.0.113.7");
  });

  it("counts a whole IPv6 /64 as one client, whatever its spelling", () => {
    const k = addressKey("2001:db8:1:2:3:4:5:6");
    expect(k).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe(k);
    expect(addressKey("2001:DB8:1:2::1")).toBe(k);
    expect(addressKey("2001:db8:1:2::9%eth0")).toBe(k);
    expect(addressKey("2001:db8:1:3::1")).not.toBe(k);
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });

  it("leaves what is not an address alone", () => {
    expect(addressKey("unknown")).toBe("unknown");
    expect(addressKey("1:2:3")).toBe("1:2:3");
    expect(addressKey("1::2::3")).toBe("1::2::3");
  });
});

describe("clientIp", () => {
  it("takes the address from CF-Connecting-IP only, never from X-Forwarded-For", () => {
    const req = (headers: Record<string, string>) => new Request("http://x/", { headers });
    expect(clientIp(req({ "CF-Connecting-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.1" }))).toBe(
      "203.0.113.9",
    );
    expect(clientIp(req({ "X-Forwarded-For": "198.51.100.1" }))).toBe("unknown");
  });
});
