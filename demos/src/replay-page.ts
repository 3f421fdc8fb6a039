document.getElementById('app')!.textContent = 'replay page (placeholder)';
