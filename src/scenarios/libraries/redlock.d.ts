/**
 * The part of redlock 5's API these tests use. Its package ships types but its "exports"
 * map hides them from NodeNext resolution, so they are restated here.
 */
declare module "redlock" {
  import type { Redis } from "ioredis";

  export interface Settings {
    driftFactor?: number;
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
    automaticExtensionThreshold?: number;
  }

  export class Lock {
    readonly resources: string[];
    readonly value: string;
    readonly expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }

  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: Settings);
    acquire(resources: string[], duration: number, settings?: Settings): Promise<Lock>;
    quit(): Promise<void>;
  }
}
