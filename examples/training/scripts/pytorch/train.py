"""SageMaker script-mode entry point: a PyTorch churn classifier, distributed with torchrun.

Contract (what SageMaker's PyTorch training container provides):
  /opt/ml/code                    this source directory, unpacked from sourcedir.tar.gz, with
                                  requirements.txt pip-installed before this script starts
  --name value arguments          the job's hyperparameters (the toolkit's own sagemaker_* ones excepted)
  SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION   folders of CSV files, label first, no header
  SM_MODEL_DIR                    saved here with code/ (inference.py and the churn package) for serving
  SM_CHECKPOINT_DIR or /opt/ml/checkpoints  synced to S3 by managed spot training: a restarted job resumes
  RANK, LOCAL_RANK, WORLD_SIZE    set by torchrun when the job runs with torch_distributed: one process per
                                  GPU of each instance, all instances in one process group
Metrics are printed by rank 0 only, as `validation:auc=<float>;` lines for the metric definitions.
"""
import argparse
import os
import shutil
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from churn.data import channel, standardizer
from churn.metrics import roc_auc
from churn.model import ChurnClassifier, save

CHECKPOINT_FILE = "checkpoint.pt"
HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch_size", "--batch-size", type=int, default=64, help="per process")
    p.add_argument("--learning_rate", "--learning-rate", type=float, default=0.01)
    p.add_argument("--hidden_units", "--hidden-units", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print(f"ignoring unknown hyperparameters: {unknown}")
    if args.epochs < 1 or args.batch_size < 1:
        p.error("epochs and batch_size must be at least 1")
    return args


def setup():
    """Joins the process group torchrun describes (a single process when not under torchrun)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    print(f"rank {rank}/{world} on {device}", flush=True)
    return rank, world, device


def checkpoint_dir():
    directory = os.environ.get("SM_CHECKPOINT_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        return directory
    return "/opt/ml/checkpoints" if os.path.isdir("/opt/ml/checkpoints") else None


def main():
    args = parse_args(sys.argv[1:])
    rank, world, device = setup()
    torch.manual_seed(args.seed)
    x_train, y_train = channel("train")
    x_validation, y_validation = channel("validation")

    mean, std = standardizer(x_train)
    model = ChurnClassifier(x_train.shape[1], args.hidden_units, mean, std).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    start_epoch = 0
    checkpoints = checkpoint_dir()
    checkpoint = checkpoints and os.path.join(checkpoints, CHECKPOINT_FILE)
    if checkpoint and os.path.exists(checkpoint):
        saved = torch.load(checkpoint, map_location=device, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        start_epoch = saved["epoch"]
        print(f"resumed from checkpoint {checkpoint} at epoch {start_epoch} of {args.epochs}")
    if world > 1:
        # Every rank must resume where rank 0 does: DDP broadcasts rank 0's parameters but not the
        # optimizer's state, and ranks that run different numbers of epochs wait forever on each
        # other's collectives. Ranks that found different checkpoints (an instance without one)
        # end the job together, with the reason, instead.
        bounds = torch.tensor([start_epoch, -start_epoch], device=device)
        dist.all_reduce(bounds, op=dist.ReduceOp.MAX)
        latest, earliest = int(bounds[0]), -int(bounds[1])
        if latest != earliest:
            dist.destroy_process_group()
            sys.exit(f"rank {rank} resumes at epoch {start_epoch} ({checkpoint or 'no checkpoint folder'}), but the ranks resume at epochs "
                     f"{earliest} to {latest}: every instance needs the same {CHECKPOINT_FILE}; delete the job's checkpoints in S3 to start over")
    # DDP broadcasts rank 0's parameters and averages gradients over every process of every instance.
    trained = DistributedDataParallel(model) if world > 1 else model

    # Every process holds the whole (fully replicated) channel; the sampler gives each its own share.
    dataset = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)
        trained.train()
        total, count = torch.zeros(2, device=device)
        steps = 0
        for features, labels in loader:
            steps += 1
            features, labels = features.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(trained(features), labels)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(labels)
            count += len(labels)
        if world > 1:
            sums = torch.stack([total, count])
            dist.all_reduce(sums)
            total, count = sums
        if rank == 0:
            print(f"epoch={epoch + 1} steps={steps} train:loss={(total / count).item():.6f};", flush=True)
            if checkpoint:
                # Write then rename: an interruption mid-write must never leave a truncated checkpoint.
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1}, checkpoint + ".tmp")
                os.replace(checkpoint + ".tmp", checkpoint)
        if world > 1:
            dist.barrier()

    if rank == 0:
        model.eval()
        with torch.no_grad():
            logits = model(x_validation.to(device)).cpu()
        print(f"validation:loss={loss_fn(logits, y_validation).item():.6f};")
        print(f"validation:auc={roc_auc(y_validation.numpy(), logits.numpy()):.6f};")
        print(f"validation:accuracy={((logits > 0).float() == y_validation).float().mean().item():.6f};")
        model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
        os.makedirs(model_dir, exist_ok=True)
        save(model.cpu(), os.path.join(model_dir, "model.pt"), args.hidden_units)
        # SageMaker's PyTorch inference container runs code/inference.py of the model artifact.
        code = os.path.join(model_dir, "code")
        os.makedirs(code, exist_ok=True)
        shutil.copy2(os.path.join(HERE, "inference.py"), code)
        shutil.copytree(os.path.join(HERE, "churn"), os.path.join(code, "churn"), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if world > 1:
        # Tear the group down together and before exit: DDP holds it, and a gloo group that one rank
        # leaves alone, or that is freed while the interpreter shuts down, can abort (SIGABRT) the process.
        del trained
        dist.barrier()
        dist.destroy_process_group()
        # The work is done and saved. Leave without the interpreter's teardown, where PyTorch's
        # distributed threads can still be destroyed while joinable, which aborts the rank with
        # SIGABRT ("terminate called without an active exception") and fails a finished job.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
