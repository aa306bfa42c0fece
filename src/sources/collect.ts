import type { ObservationBatch } from "../model/observation.js";

/** What every live source's `collect…` takes: cancellation, and a line saying what it waits on. */
export interface CollectOptions {
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** A part of a collection that failed (a host, a node, a region), named by `where`; never fatal to the rest. */
export interface CollectError {
  where: string;
  message: string;
}

/** A collection's outcome: one batch per scope collected, and what could not be. */
export interface CollectResult {
  batches: ObservationBatch[];
  errors: CollectError[];
}
