// Where each named dataset comes from: official URLs, checksums (from shared/data/README.md and the publishers), licences.

/** One file of a dataset: where it goes under the data directory, where it comes from, and how to check it. */
export interface RemoteFile {
  /** Path under the data directory, laid out like shared/data (e.g. `omniglot/all_runs.zip`). */
  path: string;
  url: string;
  sha256?: string;
  md5?: string;
  bytes?: number;
  /** Unpack this archive next to it after verification (the CIFAR binaries come as .tar.gz). */
  extract?: 'tar';
}

export interface DatasetSource {
  description: string;
  license: string;
  files: RemoteFile[];
}

const LAKE = 'https://github.com/brendenlake/omniglot/raw';
const LAKE_COMMIT = '057f034baf2ecb8530bc5710e5a23584d2a519cc';
const NPZ = 'https://github.com/bitsandscraps/omniglot/raw/b0481240b7eb42393285a93ce7d2f266ff10c62b';
const SNELL = 'https://github.com/jakesnell/prototypical-networks/raw/c9bb4d258267c11cb6e23f0a19242d24ca98ad8a/data/omniglot/splits/vinyals';
const MNIST = 'https://ossci-datasets.s3.amazonaws.com/mnist';
const FASHION = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com';
const CIFAR = 'https://www.cs.toronto.edu/~kriz';

/**
 * Named datasets for `adaptlab data fetch`. Checksums: sha256 where shared/data/README.md records one, else the md5
 * published with the dataset (MNIST, Fashion-MNIST) or used by torchvision (the large Omniglot zips).
 */
export const SOURCES: Record<string, DatasetSource> = {
  omniglot: {
    description: 'Omniglot official PNG zips: 30 background + 20 evaluation alphabets, 1,623 characters × 20 drawers (105×105)',
    license: 'MIT, (c) 2015 Brenden Lake — cite Lake, Salakhutdinov & Tenenbaum (2015), Science 350(6266)',
    files: [
      { path: 'omniglot/images_background.zip', url: `${LAKE}/master/python/images_background.zip`, md5: '68d2efa1b9178cc56df9314c21c6e718' },
      { path: 'omniglot/images_evaluation.zip', url: `${LAKE}/master/python/images_evaluation.zip`, md5: '6b91aef0f799c5bb55b94e3f2daec811' },
    ],
  },
  'omniglot-npz': {
    description: 'Omniglot as two NumPy archives (bool images 105×105), the same pixels as the official zips',
    license: 'MIT, (c) 2015 Brenden Lake',
    files: [
      { path: 'omniglot/images_background.npz', url: `${NPZ}/images_background.npz`, bytes: 3340794, sha256: '8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199' },
      { path: 'omniglot/images_evaluation.npz', url: `${NPZ}/images_evaluation.npz`, bytes: 2415269, sha256: '0b84c7ffd94c4841c0040e529c86a82eaaccb986d8eadad5673f7991b7475276' },
    ],
  },
  'omniglot-small': {
    description: 'Omniglot "small" background subsets small1 (5 alphabets) and small2 (5 alphabets)',
    license: 'MIT, (c) 2015 Brenden Lake',
    files: [
      { path: 'omniglot/images_background_small1.zip', url: `${LAKE}/${LAKE_COMMIT}/python/images_background_small1.zip`, bytes: 1319022, sha256: 'f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4' },
      { path: 'omniglot/images_background_small2.zip', url: `${LAKE}/${LAKE_COMMIT}/python/images_background_small2.zip`, bytes: 1580917, sha256: '3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f' },
    ],
  },
  'omniglot-runs': {
    description: 'Omniglot official 20-way one-shot benchmark: 20 runs (all_runs.zip)',
    license: 'MIT, (c) 2015 Brenden Lake',
    files: [
      { path: 'omniglot/all_runs.zip', url: `${LAKE}/${LAKE_COMMIT}/python/one-shot-classification/all_runs.zip`, bytes: 352787, sha256: '437c1eeab0af8484112e1b4cc0f3d541ec727f7c47b9b202da738af9dfd6c325' },
    ],
  },
  'omniglot-splits': {
    description: 'Vinyals/Snell split files (train/val/test/trainval: Alphabet/characterNN/rotDDD)',
    license: 'MIT, (c) 2017 Jake Snell',
    files: [
      { path: 'omniglot/vinyals-split/train.txt', url: `${SNELL}/train.txt`, bytes: 133244, sha256: '984522c194c30fb678ce53304a160a42faf5403ad4f9a67010f32dd3a35738e0' },
      { path: 'omniglot/vinyals-split/val.txt', url: `${SNELL}/val.txt`, bytes: 21312, sha256: '11f99e54faee3e26f53d3231c1cceac5bf7b8730e9be31cb6dab256551dc0c1a' },
      { path: 'omniglot/vinyals-split/test.txt', url: `${SNELL}/test.txt`, bytes: 50372, sha256: '845264cc5c156180828ccf17915668b17ee21424d0170df6e7d81676aa5d1204' },
      { path: 'omniglot/vinyals-split/trainval.txt', url: `${SNELL}/trainval.txt`, bytes: 154556, sha256: '5276ae50c755596d0bff7f2284e85625695549a85ee6e36b6491ad1e5d1cc26a' },
    ],
  },
  mnist: {
    description: 'MNIST handwritten digits, IDX gzip: 60,000 train + 10,000 test (28×28)',
    license: 'Yann LeCun and Corinna Cortes; CC BY-SA 3.0',
    files: [
      { path: 'mnist/train-images-idx3-ubyte.gz', url: `${MNIST}/train-images-idx3-ubyte.gz`, md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { path: 'mnist/train-labels-idx1-ubyte.gz', url: `${MNIST}/train-labels-idx1-ubyte.gz`, bytes: 28881, sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c' },
      { path: 'mnist/t10k-images-idx3-ubyte.gz', url: `${MNIST}/t10k-images-idx3-ubyte.gz`, bytes: 1648877, sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6' },
      { path: 'mnist/t10k-labels-idx1-ubyte.gz', url: `${MNIST}/t10k-labels-idx1-ubyte.gz`, bytes: 4542, sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6' },
    ],
  },
  'fashion-mnist': {
    description: 'Fashion-MNIST, IDX gzip: 60,000 train + 10,000 test (28×28, 10 classes)',
    license: 'MIT, (c) 2017 Zalando SE',
    files: [
      { path: 'fashion-mnist/train-images-idx3-ubyte.gz', url: `${FASHION}/train-images-idx3-ubyte.gz`, bytes: 26421880, sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84' },
      { path: 'fashion-mnist/train-labels-idx1-ubyte.gz', url: `${FASHION}/train-labels-idx1-ubyte.gz`, bytes: 29515, sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845' },
      { path: 'fashion-mnist/t10k-images-idx3-ubyte.gz', url: `${FASHION}/t10k-images-idx3-ubyte.gz`, bytes: 4422102, sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073' },
      { path: 'fashion-mnist/t10k-labels-idx1-ubyte.gz', url: `${FASHION}/t10k-labels-idx1-ubyte.gz`, bytes: 5148, sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5' },
    ],
  },
  cifar10: {
    description: 'CIFAR-10 binary version: 50,000 train + 10,000 test (3×32×32, 10 classes), unpacked to cifar-10-batches-bin/',
    license: 'Alex Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images"; cite when used',
    files: [{ path: 'cifar10/cifar-10-binary.tar.gz', url: `${CIFAR}/cifar-10-binary.tar.gz`, bytes: 170052171, md5: 'c32a1d4ab5d03f1284b67883e8d87530', extract: 'tar' }],
  },
  cifar100: {
    description: 'CIFAR-100 binary version: 50,000 train + 10,000 test (100 fine / 20 coarse classes), unpacked to cifar-100-binary/',
    license: 'Alex Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images"; cite when used',
    files: [{ path: 'cifar100/cifar-100-binary.tar.gz', url: `${CIFAR}/cifar-100-binary.tar.gz`, bytes: 168513733, md5: '03b5dce01913d631647c71ecec9e9cb8', extract: 'tar' }],
  },
};
