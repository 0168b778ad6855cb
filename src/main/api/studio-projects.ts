// One studio's projects, in its projects folder: saved atomically as versioned JSON beside an
// autosave sidecar, listed newest first, and reopened with their photo (checked by hash) and timeline.
import fs from 'node:fs';
import path from 'node:path';
import type { OpenedProject, ProjectEntry } from '../../shared/api';
import { StudioError } from '../../shared/errors';
import { CURRENT_SCHEMA_VERSION, timelineOf, type OutputSettings, type Project } from '../../shared/project/schema';
import type { Timeline } from '../../shared/timeline/model';
import { autosavePath, autosaveProject, loadProject, photoPathOf, recoverAutosave, saveProject } from '../project/project-file';
import { boxFlags } from '../face/detector';
import type { OpenPhoto, PhotoSession } from './studio-session';
import type { StudioStorage } from './studio-storage';

const EXTENSION = '.ganimation.json';

/** The project for an open photo and a timeline: faces keep their ids, landmarks and source AUs. */
export function projectOf(open: OpenPhoto, projectFile: string, timeline: Timeline, output: OutputSettings): Project {
  const byId = new Map(timeline.faces.map((f) => [f.faceId, f]));
  for (const f of timeline.faces) {
    if (!open.faces.some((face) => face.id === f.faceId)) throw new StudioError('no-such-face', `the timeline has face ${f.faceId}, which the photo does not have`);
  }
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    photo: { path: path.relative(path.dirname(projectFile), open.path), sha256: open.sha256, width: open.width, height: open.height },
    faces: open.faces.map((face) => ({
      id: face.id,
      box: face.box,
      landmarks: face.landmarks.map(([x, y]) => [x, y] as [number, number]),
      sourceAus: [...face.sourceAus],
      modelId: 'active',
      tracks: (byId.get(face.id)?.tracks ?? {}) as Project['faces'][number]['tracks'],
    })),
    duration: timeline.duration,
    fps: timeline.fps,
    output,
  };
}

export class StudioProjects {
  constructor(
    private readonly storage: StudioStorage,
    private readonly photos: PhotoSession,
  ) {}

  save(photoId: string, name: string, timeline: Timeline, output: OutputSettings): ProjectEntry {
    const open = this.photos.openPhotoOf(photoId);
    const file = this.fileOf(name);
    saveProject(file, projectOf(open, file, timeline, output));
    return entryOf(file, open.name);
  }

  /** Writes the edits beside the project file; a later save removes it, an open offers it back. */
  autosave(photoId: string, name: string, timeline: Timeline, output: OutputSettings): { savedAt: string } {
    const open = this.photos.openPhotoOf(photoId);
    const file = this.fileOf(name);
    autosaveProject(file, projectOf(open, file, timeline, output));
    return { savedAt: fs.statSync(autosavePath(file)).mtime.toISOString() };
  }

  list(): ProjectEntry[] {
    const dir = this.storage.dir('projects');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(EXTENSION))
      .map((f) => entryOf(path.join(dir, f)))
      .sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  async open(name: string): Promise<OpenedProject> {
    const file = this.fileOf(name);
    if (!fs.existsSync(file)) throw new StudioError('no-such-project', `there is no project "${name}" in ${path.dirname(file)}`);
    // Refuses a missing or changed photo with a message that names it.
    const project = loadProject(file);
    const photoPath = photoPathOf(file, project);
    const faces = project.faces.map((f) => ({ id: f.id, box: f.box, landmarks: f.landmarks, sourceAus: f.sourceAus, ...boxFlags(f.box, project.photo) }));
    const photo = await this.photos.openPhotoWithFaces(path.basename(photoPath), photoPath, project.photo.sha256, faces);
    const autosaved = recoverAutosave(file);
    const recovered = autosaved ? { timeline: timelineOf(autosaved), output: autosaved.output, savedAt: fs.statSync(autosavePath(file)).mtime.toISOString() } : undefined;
    return { project: entryOf(file, photo.name), photo, timeline: timelineOf(project), output: project.output, ...(recovered ? { recovered } : {}) };
  }

  private fileOf(name: string): string {
    return path.join(this.storage.dir('projects'), `${name}${EXTENSION}`);
  }
}

function entryOf(file: string, photoName?: string): ProjectEntry {
  const name = path.basename(file).slice(0, -EXTENSION.length);
  let photo = photoName;
  if (!photo) {
    try {
      photo = path.basename(loadProject(file).photo.path);
    } catch {
      photo = '(unreadable project)';
    }
  }
  return { name, path: file, photoName: photo, savedAt: fs.statSync(file).mtime.toISOString() };
}
