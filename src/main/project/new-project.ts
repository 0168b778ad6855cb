// A new project for a photo: its faces found and their source AUs estimated, no keyframes yet.
import path from 'node:path';
import { CURRENT_SCHEMA_VERSION, DEFAULT_OUTPUT_SETTINGS, type Project } from '../../shared/project/schema';
import { decodeImage, detectFaces, estimateAus } from '../face';
import { sha256File } from './project-file';

export async function newProject(photoPath: string, projectFile: string, modelId = 'default'): Promise<Project> {
  const photo = await decodeImage(photoPath);
  const faces = await detectFaces(photo);
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    photo: { path: path.relative(path.dirname(path.resolve(projectFile)), path.resolve(photoPath)), sha256: sha256File(photoPath), width: photo.width, height: photo.height },
    faces: faces.map((f) => ({ id: f.id, box: f.box, landmarks: f.landmarks.map(([x, y]) => [x, y] as [number, number]), sourceAus: Array.from(estimateAus(f)), modelId, tracks: {} })),
    duration: 4,
    fps: 30,
    output: { ...DEFAULT_OUTPUT_SETTINGS },
  };
}
