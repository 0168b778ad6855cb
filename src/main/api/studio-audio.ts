// One studio's audio tracks for exports: an uploaded file is checked with ffmpeg, kept in the
// studio's audio folder under its content hash and name, and exports accept only tracks from that
// folder (in web mode the page may name no other file on the machine).
import fs from 'node:fs';
import path from 'node:path';
import { audioTrackName, type AudioTrack } from '../../shared/api';
import { StudioError } from '../../shared/errors';
import { probeAudio } from '../render/audio-probe';
import { resolveFfmpeg } from '../render/ffmpeg-path';
import type { StudioStorage } from './studio-storage';

export class AudioTracks {
  constructor(private readonly storage: StudioStorage) {}

  upload(name: string, dataBase64: string): Promise<AudioTrack> {
    const safeName = path.basename(name).replace(/[^\w .()-]+/g, '_').replace(/^[^\w]+/, '') || 'audio';
    return this.storage.keepUpload('audio', Buffer.from(dataBase64, 'base64'), (sha256) => `${sha256.slice(0, 12)}-${safeName}`, async (stored) => {
      const info = await probeAudio(resolveFfmpeg().path, stored, name);
      return { path: stored, name: safeName, durationSeconds: info.durationSeconds };
    });
  }

  /** The stored track an export may mux, or a clear error when it is not the studio's or is gone. */
  exportable(audioPath: string): string {
    const dir = this.storage.dir('audio');
    const resolved = path.resolve(audioPath);
    if (!resolved.startsWith(dir + path.sep)) {
      throw new StudioError('audio-not-allowed', `the audio track ${audioPath} was not added through the studio; choose it again in the export dialog`);
    }
    if (!fs.existsSync(resolved)) throw new StudioError('audio-missing', `the audio track ${audioTrackName(resolved)} is no longer in the studio's audio folder; choose it again`);
    return resolved;
  }
}
