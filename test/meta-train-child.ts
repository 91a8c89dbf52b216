// Child process for the meta-training determinism tests: trains a small learner, optionally dies with SIGKILL.
//   node dist/test/meta-train-child.js <dir> <method> <steps> <killAfterStep|-1> <resume 0|1>
import { GaussianClassTasks, MAML, MLP, Reptile, Rng, metaTrain, type MetaLearner } from '../src/index.js';

const [dir, method, stepsArg, killArg, resumeArg] = process.argv.slice(2);
const steps = Number(stepsArg), killAfter = Number(killArg);
const fam = new GaussianClassTasks({ dim: 6, ways: 3 });
const model = new MLP([6, 12, 3], { rng: new Rng(1) });
const learner: MetaLearner = method === 'reptile'
  ? new Reptile({ model, innerLr: 0.01, innerSteps: 3, innerBatch: 4, rng: new Rng(2) })
  : new MAML({ model, innerLr: 0.3, innerSteps: 2 });
metaTrain({
  learner, seed: 7, steps, dir: dir!, checkpointEvery: 5, resume: resumeArg === '1',
  tasks: (rng) => [fam.sampleEpisode(rng, { shots: 2, queries: 3 }), fam.sampleEpisode(rng, { shots: 2, queries: 3 })],
  validation: { every: 5, tasks: () => Array.from({ length: 4 }, (_, i) => fam.sampleEpisode(new Rng(100 + i), { shots: 2, queries: 3 })) },
  onStep: ({ step }) => { if (step === killAfter) process.kill(process.pid, 'SIGKILL'); },
});
