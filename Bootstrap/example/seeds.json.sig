# signalmesh seed list signatures (Specs/bootstrap.md): ed25519 <signer> <base64 signature>
ed25519 sm1a0he2gt38pa6npl49uecm2d6lj9cd34ydk069cfa094f45y0p4lqphgshp T6p04Hus7KcYVJ26xXT054Zoz6a91/c8J/jrhdTitiHsw5bdR31jcVdjE9vwy2AjSJCaeqGhsWkg0EiiZJf7DQ==
