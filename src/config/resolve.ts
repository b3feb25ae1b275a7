/**
 * Turning flags, environment variables and a config file into typed settings.
 * Precedence: flags > WALNUT_* environment > config file > defaults. A bad value fails
 * with one line naming where it came from and what the option accepts.
 */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { WalnutError, describeError } from "../lib/errors.js";
import { parseDurationMs, parseSizeBytes } from "../lib/units.js";
import { describeAccepted, environmentName, type OptionSpec } from "./options.js";

export type SettingValue = string | number | boolean;

export interface ResolvedSettings {
  values: Map<string, SettingValue>;
  /** Arguments that are not flags, in order. */
  positionals: string[];
}

function convert(option: OptionSpec, raw: string, source: string): SettingValue {
  const fail = (): never => {
    throw new WalnutError("BAD_CONFIG", `${source} must be ${describeAccepted(option)} (got "${raw}")`);
  };
  switch (option.kind) {
    case "string":
    case "path":
      return raw === "" && option.kind === "path" ? fail() : raw;
    case "choice":
      return option.choices?.includes(raw) ? raw : fail();
    case "boolean":
      return raw === "true" || raw === "yes" || raw === "1" ? true : raw === "false" || raw === "no" || raw === "0" ? false : fail();
    case "integer": {
      const value = Number(raw);
      return Number.isSafeInteger(value) && /^-?\d+$/.test(raw.trim()) ? value : fail();
    }
    case "port": {
      const value = Number(raw);
      return /^\d+$/.test(raw.trim()) && value >= 0 && value <= 65535 ? value : fail();
    }
    case "duration":
      try {
        return parseDurationMs(raw, source);
      } catch {
        return fail();
      }
    case "size":
      try {
        return parseSizeBytes(raw, source);
      } catch {
        return fail();
      }
  }
}

function parseFlags(
  options: readonly OptionSpec[],
  argv: readonly string[],
  command: string,
  flagsEndAtFirstPositional: boolean,
): { flags: Map<string, string>; positionals: string[] } {
  const byName = new Map(options.map((o) => [o.name, o]));
  const byAlias = new Map(options.filter((o) => o.alias !== undefined).map((o) => [o.alias as string, o]));
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    const short = /^-([a-zA-Z])$/.exec(arg);
    if (long === null && short === null) {
      if (flagsEndAtFirstPositional) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const option = long !== null ? byName.get(long[1] as string) : byAlias.get(short?.[1] as string);
    if (option === undefined) {
      throw new WalnutError("BAD_CONFIG", `unknown flag ${arg} (see walnut ${command} --help)`);
    }
    let value = long?.[2];
    if (value === undefined) {
      if (option.kind === "boolean" && (argv[i + 1] === undefined || argv[i + 1]?.startsWith("-"))) value = "true";
      else if (i + 1 < argv.length) value = argv[++i] as string;
      else throw new WalnutError("BAD_CONFIG", `--${option.name} needs a value: ${describeAccepted(option)}`);
    }
    flags.set(option.name, value);
  }
  return { flags, positionals };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new WalnutError("BAD_CONFIG", `Cannot read config file ${path}: ${describeError(error)}`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new WalnutError("BAD_CONFIG", `Cannot parse config file ${path}: ${describeError(error).split("\n")[0]}`);
  }
}

export function resolveSettings(
  options: readonly OptionSpec[],
  input: { argv: readonly string[]; env: NodeJS.ProcessEnv; command: string; flagsEndAtFirstPositional?: boolean },
): ResolvedSettings {
  const { flags, positionals } = parseFlags(options, input.argv, input.command, input.flagsEndAtFirstPositional ?? false);
  const configOption = options.find((o) => o.name === "config");
  const configPath = flags.get("config") ?? (configOption ? input.env[environmentName(configOption)] : undefined);
  const file = configPath === undefined ? {} : readConfigFile(configPath);
  const known = new Set(options.map((o) => o.name));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) throw new WalnutError("BAD_CONFIG", `${configPath}: unknown setting "${key}"`);
  }
  const values = new Map<string, SettingValue>();
  for (const option of options) {
    const fromFlag = flags.get(option.name);
    const fromEnv = input.env[environmentName(option)];
    const fromFile = file[option.name];
    if (fromFlag !== undefined) values.set(option.name, convert(option, fromFlag, `--${option.name}`));
    else if (fromEnv !== undefined) values.set(option.name, convert(option, fromEnv, environmentName(option)));
    else if (fromFile !== undefined) {
      if (typeof fromFile === "object") throw new WalnutError("BAD_CONFIG", `${configPath}: ${option.name} must be ${describeAccepted(option)}`);
      values.set(option.name, convert(option, String(fromFile), `${configPath}: ${option.name}`));
    } else if (option.default !== undefined) values.set(option.name, convert(option, option.default, `default of --${option.name}`));
  }
  return { values, positionals };
}

/** Typed accessors that assert the option exists with the kind asked for. */
export function settingString(settings: ResolvedSettings, name: string): string | undefined {
  const value = settings.values.get(name);
  return typeof value === "string" ? value : undefined;
}

export function settingNumber(settings: ResolvedSettings, name: string): number {
  const value = settings.values.get(name);
  if (typeof value !== "number") throw new WalnutError("BAD_CONFIG", `setting ${name} is not set`);
  return value;
}

export function settingBoolean(settings: ResolvedSettings, name: string): boolean {
  return settings.values.get(name) === true;
}
