// Meta-learning: the learner shape, the evaluation protocol and one file per method.
export * from './learner.js';
export * from './losses.js';
export * from './evaluate.js';
export * from './inner-loop.js';
export * from './maml.js';
export * from './fomaml.js';
export * from './anil.js';
export * from './meta-sgd.js';
export * from './protonet.js';
