/**
 * The paper's released models and data sets that `deno task fetch-paper` downloads: one entry per
 * item, each file with its URL and whatever checksums are published. Every URL and checksum is
 * copied from `zoo/paper/SOURCES.md` §1–2 (sources_test.ts compares them); nothing here is
 * invented, so most files have only a torch.hub sha256 prefix or nothing at all to check against.
 */

/** One file of an item: where it comes from and what it should hash to, where that is published. */
export interface PaperFile {
  /** The file's name on disk, under the item's folder. */
  name: string;
  url: string;
  /** md5 as a loader publishes it (hex). */
  md5?: string;
  /** Full sha256 where one is published (hex). */
  sha256?: string;
  /** torch.hub's `name-<prefix>.pth` rule: the first hex digits of the file's sha256. */
  sha256Prefix?: string;
  /** Exact size in bytes, only where SOURCES.md gives one (estimates are not checked). */
  size?: number;
}

/** An item of the paper: one model or data set, possibly several files. */
export interface PaperItem {
  id: string;
  /** What it is and what the paper uses it for. */
  what: string;
  /** Its size in SOURCES.md's words ("est." sizes are computed from parameter counts). */
  size: string;
  license: string;
  files: PaperFile[];
}

const DISSECT = "https://dissect.csail.mit.edu";
const UPERNET = `${DISSECT}/models/segmodel/upp-resnet50-upernet`;

/** The items `deno task fetch-paper` knows, in the order it fetches them. */
export const PAPER_ITEMS: readonly PaperItem[] = [
  {
    id: "vgg16-places365",
    what: "VGG-16 trained on Places365, the classifier the paper dissects (PyTorch state_dict)",
    size: "~518 MiB est.",
    license: "CC BY (Places-CNN models)",
    files: [{
      name: "vgg16_places365-0bafbc55.pth",
      url: `${DISSECT}/models/vgg16_places365-0bafbc55.pth`,
      sha256Prefix: "0bafbc55",
    }],
  },
  {
    id: "progan-church",
    what: "Progressive GAN generator, LSUN church outdoor, 256 px (PyTorch state_dict)",
    size: "~70 MiB est.",
    license: "CC BY-NC 4.0 (Karras et al.'s networks; inferred for the copy)",
    files: [{
      name: "proggan_churchoutdoor-7e701dd5.pth",
      url: `${DISSECT}/models/proggan_churchoutdoor-7e701dd5.pth`,
      sha256Prefix: "7e701dd5",
    }],
  },
  {
    id: "progan-kitchen",
    what: "Progressive GAN generator, LSUN kitchen, 256 px (PyTorch state_dict)",
    size: "~70 MiB est.",
    license: "CC BY-NC 4.0 (Karras et al.'s networks; inferred for the copy)",
    files: [{
      name: "proggan_kitchen-67f1e16c.pth",
      url: `${DISSECT}/models/proggan_kitchen-67f1e16c.pth`,
      sha256Prefix: "67f1e16c",
    }],
  },
  {
    id: "upernet",
    what: "Unified Perceptual Parsing segmenter (ResNet-50 + UPerNet, Broden+): encoder, " +
      "decoder and its label lists",
    size: "~90 MiB + ~193 MiB est.",
    license: "code MIT; nothing stated for the weights",
    files: [
      { name: "encoder_epoch_40.pth", url: `${UPERNET}/encoder_epoch_40.pth` },
      { name: "decoder_epoch_40.pth", url: `${UPERNET}/decoder_epoch_40.pth` },
      { name: "labels.json", url: `${UPERNET}/labels.json` },
    ],
  },
  {
    // The paper's own copy, not the official val_256.tar: it unpacks to one folder per class,
    // which is what the paper's loader reads, so the labels need no file list. The class list
    // fixes which index each folder is (the classifier's output order); it is small and the one
    // file here with a full published sha256. val_256.tar and its file list are only an
    // alternative source of the same images, so they are not fetched.
    id: "places365-val",
    what: "Places365 validation images (36,500, class folders; the paper's copy) and the 365 " +
      "class names with their indices",
    size: "places_val.zip not stated (the official val_256.tar is ~500 MB, unconfirmed); " +
      "categories 6,833 bytes",
    license: "images belong to their owners; class list MIT",
    files: [
      {
        name: "places_val.zip",
        url: `${DISSECT}/datasets/places_val.zip`,
        md5: "593bbc21590cf7c396faac2e600cd30c",
      },
      {
        name: "categories_places365.txt",
        url:
          "https://raw.githubusercontent.com/csailvision/places365/master/categories_places365.txt",
        md5: "06c963b85866bd0649f97cb43dd16673",
        sha256: "2affba635eb657e7ca95f4e6cc69bd9fac29ef4c32aeb83cafdfcd06ec6a1ea6",
        size: 6833,
      },
    ],
  },
  {
    // The paper ranks units on the training set (line 68): its own copy, class folders as val's.
    id: "places365-train",
    what: "Places365 training images (the paper's copy, class folders), to rank units by",
    size: "unknown (1,803,460 images in the official train_256 tar)",
    license: "images belong to their owners",
    files: [{
      name: "places_train.zip",
      url: `${DISSECT}/datasets/places_train.zip`,
      md5: "d1db6ad3fc1d69b94da325ac08886a01",
    }],
  },
  {
    id: "lsun-church",
    what: "LSUN church_outdoor, train and val LMDBs (the church GAN's training data; the paper's " +
      "measurements never read it)",
    size: "unknown",
    license: "not stated (the download script is MIT)",
    files: [
      {
        name: "church_outdoor_train_lmdb.zip",
        url: "http://dl.yf.io/lsun/scenes/church_outdoor_train_lmdb.zip",
      },
      {
        name: "church_outdoor_val_lmdb.zip",
        url: "http://dl.yf.io/lsun/scenes/church_outdoor_val_lmdb.zip",
      },
    ],
  },
  {
    // 224 px, the input size of VGG-16; broden1_227 is AlexNet's and broden1_384 a larger copy.
    id: "broden",
    what: "Broden, NetDissect's densely labelled data set, at 224 px",
    size: '"~1GB" (NetDissect README; unconfirmed)',
    license: "code MIT; data: the component data sets' terms (not stated)",
    files: [{
      name: "broden1_224.zip",
      url: "http://netdissect.csail.mit.edu/data/broden1_224.zip",
    }],
  },
];
