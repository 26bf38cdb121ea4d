import pytest
import torch
import torch.nn.functional as F

from gnn_encoder.decoders import (
    CosineDecoder,
    InBatchDecoder,
    link_loss,
    make_decoder,
    score_matrix,
)


def test_cosine_and_dot_by_hand():
    m = torch.tensor([[1.0, 0.0], [3.0, 4.0]])
    j = torch.tensor([[0.0, 2.0], [6.0, 8.0]])
    cos = CosineDecoder(init_scale=2.0)
    torch.testing.assert_close(cos(m, j), torch.tensor([0.0, 2.0]))  # 2 * cos + 0
    torch.testing.assert_close(InBatchDecoder()(m, j), torch.tensor([0.0, 50.0]))


def test_inbatch_loss_adds_in_batch_negatives_by_hand():
    m = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    j = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
    y = torch.tensor([1.0, 1.0])
    pair = F.binary_cross_entropy_with_logits(torch.tensor([2.0, 3.0]), y)
    matrix = F.binary_cross_entropy_with_logits(
        torch.tensor([[2.0, 0.0], [0.0, 3.0]]), torch.eye(2)
    )
    torch.testing.assert_close(link_loss(InBatchDecoder(), m, j, y), pair + matrix)


@pytest.mark.parametrize("name", ["mlp", "cosine", "inbatch"])
def test_score_matrix_equals_pairwise_scores(name):
    torch.manual_seed(0)
    dec = make_decoder(name, 6)
    m, j = torch.randn(5, 6), torch.randn(7, 6)
    full = score_matrix(dec, m, j, chunk=2)
    pairwise = dec(m[:, None, :].expand(5, 7, 6), j[None].expand(5, 7, 6))
    torch.testing.assert_close(full, pairwise, atol=1e-5, rtol=1e-5)


def test_unknown_decoder_is_refused():
    with pytest.raises(ValueError, match="gnn.decoder"):
        make_decoder("bilinear", 4)
