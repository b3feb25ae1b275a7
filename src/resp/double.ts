/** Doubles in replies are spelled by lib/double_text.ts (Redis 7.0's %.17g); the writer imports them from here. */
export { formatDouble } from "../lib/double_text.js";
