// Project files on disk: load (parse, validate, migrate, check the photo), atomic save, and an
// autosave sidecar that is offered back after a crash.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { parseProject, type Project } from '../../shared/project/schema';
import { writeFileAtomic } from '../io/atomic-write';

export const sha256File = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Where the photo is, relative paths being relative to the project file. */
export const photoPathOf = (projectFile: string, project: Project): string => path.resolve(path.dirname(projectFile), project.photo.path);

export function loadProject(file: string): Project {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new StudioError('project-unreadable', `cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new StudioError('project-not-json', `${file} is not a project file (not valid JSON)`);
  }
  const project = parseProject(data, file);
  checkPhoto(file, project);
  return project;
}

/** The photo must exist and be unchanged; otherwise the user is asked to relocate it. */
export function checkPhoto(projectFile: string, project: Project): void {
  const photo = photoPathOf(projectFile, project);
  if (!fs.existsSync(photo)) throw new StudioError('photo-missing', `the project's photo ${photo} is missing; relocate it`, photo);
  if (sha256File(photo) !== project.photo.sha256) throw new StudioError('photo-changed', `the project's photo ${photo} has changed since the project was saved; relocate the original`, photo);
}

/** Points the project at a photo in a new place, after checking it is the same photo. */
export function relocatePhoto(projectFile: string, project: Project, newPhoto: string, acceptChanged = false): Project {
  if (!fs.existsSync(newPhoto)) throw new StudioError('photo-missing', `${newPhoto} does not exist`);
  const hash = sha256File(newPhoto);
  if (hash !== project.photo.sha256 && !acceptChanged) throw new StudioError('photo-changed', `${newPhoto} is not the project's photo (its content differs)`);
  return { ...project, photo: { ...project.photo, path: path.relative(path.dirname(path.resolve(projectFile)), path.resolve(newPhoto)), sha256: hash } };
}

export const autosavePath = (file: string): string => path.join(path.dirname(file), `${path.basename(file, '.json')}.autosave.json`);

export function saveProject(file: string, project: Project): void {
  writeFileAtomic(file, Buffer.from(`${JSON.stringify(project, null, 1)}\n`));
  fs.rmSync(autosavePath(file), { force: true });
}

export function autosaveProject(file: string, project: Project): void {
  writeFileAtomic(autosavePath(file), Buffer.from(JSON.stringify(project)));
}

/** The autosaved project when it is newer than the saved file (a crash before saving), else null. */
export function recoverAutosave(file: string): Project | null {
  const sidecar = autosavePath(file);
  if (!fs.existsSync(sidecar)) return null;
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(sidecar).mtimeMs) return null;
  return parseProject(JSON.parse(fs.readFileSync(sidecar, 'utf8')), sidecar);
}
