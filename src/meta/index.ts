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
export * from './reptile.js';
export * from './maml-plus-plus.js';
export * from './matching-net.js';
export * from './cnp.js';
export * from './baselines.js';
export * from './pretrain-all.js';
export * from './checkpoint.js';
export * from './train.js';
