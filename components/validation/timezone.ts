/** `timezone`: the dnodes' `TZ`, looked up in the image's zoneinfo, so it must be an IANA zone, spelt exactly. */

/** The zone's canonical spelling when `zone` is an IANA zone (or alias) under another case; undefined when it is none. */
function resolve(zone: string): string | undefined {
    try {
        return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
        return undefined;
    }
}

/** Why `zone` is not usable as TZ, with the fix; undefined when it is. */
export function timezoneProblem(zone: string): { problem: string; fix: string } | undefined {
    const fix = "Use an IANA zone name such as \"UTC\", \"Europe/Berlin\" or \"Asia/Shanghai\" (see `timedatectl list-timezones`).";
    // Offsets like "+08:00" are accepted by some Intl builds but are not zoneinfo files.
    const resolved = /^[A-Za-z]/.test(zone) ? resolve(zone) : undefined;
    if (resolved === undefined) {
        return { problem: "is not an IANA time zone", fix };
    }
    // zoneinfo file names are case-sensitive; Intl is not.
    if (resolved.toLowerCase() === zone.toLowerCase() && resolved !== zone) {
        return { problem: "is an IANA time zone in the wrong case", fix: `Write it as "${resolved}".` };
    }
    return undefined;
}
