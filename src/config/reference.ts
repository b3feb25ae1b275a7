/**
 * docs/configuration.md, generated from the option table (options.ts) so the reference
 * can never disagree with the flags. `node dist/config/reference.js > docs/configuration.md`
 * rewrites it; a test fails when the committed file is stale.
 */
import { fileURLToPath } from "node:url";
import { formatOptions, serveOptions } from "./options.js";

export function configurationReference(): string {
  return `# Configuration reference

Generated from \`src/config/options.ts\` by \`node dist/config/reference.js > docs/configuration.md\`; do not edit by hand.

Every setting of \`walnut serve\` can be given three ways. Precedence: flag, then the
\`WALNUT_*\` environment variable, then the config file (\`--config walnut.toml\`, keys are the
flag names without dashes in front, e.g. \`fsync = "everysec"\`), then the default. Durations
accept \`ms\`, \`s\`, \`m\`, \`h\` (a bare number is seconds); sizes accept \`KiB\`, \`MiB\`, \`GiB\`
and, as redis.conf reads them in any case, \`k\`, \`m\`, \`g\` (powers of 1000) and \`kb\`, \`mb\`, \`gb\`
(powers of 1024: \`2gb\` is 2 GiB); a bare number is bytes. A bad value stops the start with one line
naming the flag and what it accepts.

${formatOptions(serveOptions, "markdown")}

Example \`walnut.toml\`:

\`\`\`toml
data-dir = "/var/lib/walnut"
fsync = "always"
checkpoint-interval = "5m"
segment-size = "64MiB"
\`\`\`
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(configurationReference());
