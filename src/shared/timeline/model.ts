// Timeline data: plain serialisable records with branded ids. A face has one track per AU; a track
// without keyframes holds the face's source AUs, so an untouched face renders as itself.
import type { z } from 'zod';
import type { AuName } from '../aus';
import type { Easing } from './easing';

/** zod's brand, so the project schema's `.brand<'KeyframeId'>()` parses to exactly this type. */
export type KeyframeId = string & z.$brand<'KeyframeId'>;
export type FaceId = number;

export interface Keyframe {
  readonly id: KeyframeId;
  /** Seconds from the start. */
  readonly time: number;
  /** AU intensity in [0, 1]. */
  readonly value: number;
  /** Easing of the segment from this key to the next. */
  readonly easing: Easing;
  /** Keys set together by an expression keyframe share a group id. */
  readonly group?: string;
}

export type Track = readonly Keyframe[];

export interface FaceTimeline {
  readonly faceId: FaceId;
  /** The face's own AUs (17, AU_ORDER), held where a track has no keys. */
  readonly sourceAus: readonly number[];
  readonly tracks: Readonly<Partial<Record<AuName, Track>>>;
}

export interface Timeline {
  /** Seconds. */
  readonly duration: number;
  readonly fps: number;
  readonly faces: readonly FaceTimeline[];
}

let counter = 0;
/** A fresh keyframe id; unique within a session and across saves (time-based prefix). */
export function newKeyframeId(): KeyframeId {
  counter = (counter + 1) % 1_000_000;
  return `k${Date.now().toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}` as KeyframeId;
}
